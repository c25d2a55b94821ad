import CairnModel

/// One YAML file loaded, typed by its schema and validated against it.
public struct ParsedManifest: Sendable {
    /// The document as written, with positions.
    public let node: YAMLNode
    /// The document with scalars typed by the schema.
    public let value: JSONValue
    /// Nil for `cairn.yaml` or when `kind` is missing or unknown.
    public let kind: ArtifactKind?
    public let isConfig: Bool
    /// Schema findings, positioned (no path: the caller knows it).
    public let findings: [Finding]

    /// A positioned finding inside one file.
    public struct Finding: Sendable, Hashable {
        public let line: Int
        public let column: Int
        public let message: String
        public let rule: String

        public init(line: Int, column: Int, message: String, rule: String) {
            (self.line, self.column, self.message, self.rule) = (line, column, message, rule)
        }

        public init(_ mark: SourceMark, _ message: String, rule: String) {
            self.init(line: mark.line, column: mark.column, message: message, rule: rule)
        }
    }

    /// Schema findings reported per file; the rest are counted in one last finding.
    public static let maxSchemaFindings = 100

    /// Loads and checks one file. YAML hazards come back as a thrown `YAMLLoadError`.
    public static func load(_ bytes: [UInt8], isConfig: Bool, schemas: ManifestSchemas = .bundled,
                            loader: HardenedYAMLLoader = HardenedYAMLLoader()) throws(YAMLLoadError) -> ParsedManifest {
        let node = try loader.load(bytes)
        var findings: [Finding] = []
        var kind: ArtifactKind?
        let root: Int?
        if isConfig {
            root = schemas.configRoot
        } else {
            root = Self.kindRoot(node, schemas: schemas, kind: &kind, findings: &findings)
        }
        let value = schemas.set.typed(node, schema: root)
        if let root {
            let violations = schemas.set.validate(value, against: root)
            // Each finding is positioned by a walk of the document; a file with a violation on every one of 100,000
            // entries would cost their square. The first ones say what is wrong.
            for violation in violations.prefix(maxSchemaFindings) {
                let mark = node.mark(at: violation.path, pointAtKey: violation.atKey)
                let place = violation.path.isEmpty ? "" : "\(violation.path.dotted): "
                findings.append(Finding(mark, place + violation.message, rule: "schema"))
            }
            if violations.count > maxSchemaFindings {
                let last = findings[findings.count - 1]
                findings.append(Finding(line: last.line, column: last.column,
                                        message: "\(violations.count - maxSchemaFindings) more schema findings in this file are not shown", rule: "schema"))
            }
        }
        return ParsedManifest(node: node, value: value, kind: kind, isConfig: isConfig, findings: findings)
    }

    /// A YAML file is cairn's when its `apiVersion` starts with `cairn/` or its `kind` is one of cairn's five: other
    /// YAML in the tree (docker-compose, CI files, Kubernetes manifests, playbooks) is not validated (no findings, no
    /// artifact). A file that claims to be cairn's is held to the schema, so a typo in `kind` is still an error.
    static func claimsCairn(_ node: YAMLNode) -> Bool {
        guard case .mapping(let pairs, _) = node else { return false }
        func scalar(_ key: String) -> String? {
            guard let pair = pairs.first(where: { $0.key.text == key }), case .scalar(let scalar) = pair.value else { return nil }
            return scalar.text
        }
        return scalar("apiVersion")?.hasPrefix("cairn/") == true || scalar("kind").flatMap(ArtifactKind.init(rawValue:)) != nil
    }

    private static func kindRoot(_ node: YAMLNode, schemas: ManifestSchemas, kind: inout ArtifactKind?, findings: inout [Finding]) -> Int? {
        guard claimsCairn(node) else { return nil }
        guard case .mapping(let pairs, let mark) = node else { return nil }
        guard let pair = pairs.first(where: { $0.key.text == "kind" }) else {
            findings.append(Finding(mark, "missing required field 'kind' (one of \(ArtifactKind.allCases.map(\.rawValue).joined(separator: ", ")))", rule: "schema"))
            return nil
        }
        guard case .scalar(let scalar) = pair.value, let found = ArtifactKind(rawValue: scalar.text) else {
            findings.append(Finding(pair.value.mark, "unknown kind; expected one of \(ArtifactKind.allCases.map(\.rawValue).joined(separator: ", "))", rule: "schema"))
            return nil
        }
        kind = found
        return schemas.root(for: found)
    }
}
