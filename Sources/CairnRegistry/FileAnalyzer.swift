import CairnManifest
import CairnModel

/// Checks one file on its own: YAML hazards, schema, and the rules that need nothing but the file
/// (template variables, chain DAG, digest format, reference syntax).
public struct FileAnalyzer: Sendable {
    public let schemas: ManifestSchemas

    public init(schemas: ManifestSchemas = .bundled) {
        self.schemas = schemas
    }

    public func analyze(_ bytes: [UInt8]) -> FileResult {
        let parsed: ParsedManifest
        do {
            parsed = try ParsedManifest.load(bytes, isConfig: false, schemas: schemas)
        } catch {
            return FileResult(findings: [ParsedManifest.Finding(error.mark, error.message, rule: error.rule)], artifact: nil)
        }
        var findings = parsed.findings
        guard let kind = parsed.kind else { return FileResult(findings: findings, artifact: nil) }
        let document = Document(node: parsed.node, value: parsed.value)
        var rules = FileRules(document: document)
        switch kind {
        case .promptTemplate: rules.checkTemplateVariables()
        case .chain: rules.checkChainGraph()
        case .adapter: rules.checkDigest(at: [.key("spec"), .key("artifact"), .key("sha256")])
        case .datasetManifest:
            for index in (parsed.value["spec"]?["files"]?.arrayValue ?? []).indices {
                rules.checkDigest(at: [.key("spec"), .key("files"), .index(index), .key("sha256")])
            }
        case .deployment: break
        }
        let references = rules.referenceSites(kind: kind)
        findings += rules.findings
        guard let name = parsed.value["metadata"]?["name"]?.stringValue, ArtifactID.isValidName(name),
              let versionText = parsed.value["metadata"]?["version"]?.stringValue, let version = SemVer(versionText) else {
            return FileResult(findings: findings, artifact: nil)
        }
        let environments: [NamedSite] = kind == .deployment
            ? (parsed.value["spec"]?["environments"]?.arrayValue ?? []).enumerated().compactMap { index, value in
                value.stringValue.map { NamedSite(name: $0, mark: document.mark([.key("spec"), .key("environments"), .index(index)])) }
            }
            : []
        let summary = ArtifactSummary(
            id: ArtifactID(kind: kind, name: name), version: version,
            digest: ContentDigest.of(parsed.value), mark: document.mark([.key("metadata"), .key("name")]),
            references: references, environments: environments)
        return FileResult(findings: findings, artifact: summary)
    }
}

/// A typed document with the YAML it came from, for positions.
struct Document {
    let node: YAMLNode
    let value: JSONValue

    func mark(_ path: [PathComponent]) -> SourceMark { node.mark(at: path) }

    func value(at path: [PathComponent]) -> JSONValue? {
        var current: JSONValue? = value
        for component in path {
            switch component {
            case .key(let key): current = current?[key]
            case .index(let index):
                guard let items = current?.arrayValue, index < items.count else { return nil }
                current = items[index]
            }
        }
        return current
    }
}
