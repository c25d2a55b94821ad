import CairnManifest
import CairnModel
import Git2

/// GTO's `artifacts.yaml` at the repository root: what a team wrote about its artifacts (type, path, description,
/// labels), by GTO name. `gto show` lists an artifact annotated there even before any tag names it, as not
/// registered; cairn's `show` does the same. Read at one commit (HEAD, as GTO does), with the hardened YAML loader.
public struct GTOAnnotations: Sendable {
    public struct Annotation: Sendable, Hashable {
        public var type: String?
        public var path: String?
        public var description: String?
        public var labels: [String] = []
    }

    public static let fileName = "artifacts.yaml"

    public let byArtifact: [ArtifactID: Annotation]

    public static let none = GTOAnnotations(byArtifact: [:])

    init(byArtifact: [ArtifactID: Annotation]) {
        self.byArtifact = byArtifact
    }

    /// Parses the file's bytes: a mapping from artifact names to mappings of annotations. A file that is not that
    /// shape is refused whole with a `file:line:column` reason (GTO refuses it too); names GTO would refuse are left out.
    public static func parse(_ bytes: [UInt8]) -> (annotations: GTOAnnotations, problem: ParsedManifest.Finding?) {
        let node: YAMLNode
        do {
            node = try HardenedYAMLLoader().load(bytes)
        } catch {
            return (.none, ParsedManifest.Finding(error.mark, error.message, rule: error.rule))
        }
        if case .scalar(let scalar) = node, scalar.isPlain, ["", "~", "null"].contains(scalar.text) { return (.none, nil) }
        guard case .mapping(let pairs, _) = node else {
            return (.none, ParsedManifest.Finding(node.mark, "artifacts.yaml must map artifact names to their annotations", rule: "gto-index"))
        }
        var annotations: [ArtifactID: Annotation] = [:]
        for pair in pairs {
            guard let id = ArtifactID(gtoName: pair.key.text) else {
                return (.none, ParsedManifest.Finding(pair.key.mark, "'\(pair.key.text)' is not an artifact name GTO accepts", rule: "gto-index"))
            }
            var annotation = Annotation()
            switch pair.value {
            case .mapping(let fields, _):
                for field in fields {
                    switch (field.key.text, field.value) {
                    case ("type", .scalar(let value)): annotation.type = value.text
                    case ("path", .scalar(let value)): annotation.path = value.text
                    case ("description", .scalar(let value)): annotation.description = value.text
                    case ("labels", .sequence(let items, _)):
                        annotation.labels = items.compactMap { if case .scalar(let label) = $0 { label.text } else { nil } }
                    default: continue
                    }
                }
            case .scalar(let scalar) where scalar.isPlain && ["", "~", "null"].contains(scalar.text):
                break
            default:
                return (.none, ParsedManifest.Finding(pair.value.mark, "the annotations of '\(pair.key.text)' must be a mapping (type, path, description, labels)", rule: "gto-index"))
            }
            annotations[id] = annotation
        }
        return (GTOAnnotations(byArtifact: annotations), nil)
    }
}

extension RegistryReader {
    /// `artifacts.yaml` at the repository root at `commit`; none when there is no such file. A file that does not
    /// read is warned about once and counts as none (as GTO skips a corrupted index in a commit).
    public func gtoAnnotations(at commit: ObjectID) throws -> GTOAnnotations {
        let repository = location.repository
        guard let blob = try repository.blobID(commit: commit, path: GTOAnnotations.fileName) else { return .none }
        let (annotations, problem) = try oversized(blob).map { (.none, $0) } ?? GTOAnnotations.parse(try repository.blob(blob))
        if let problem {
            Warnings.emit("\(GTOAnnotations.fileName):\(problem.line):\(problem.column): \(problem.message); its annotations are ignored")
        }
        return annotations
    }
}
