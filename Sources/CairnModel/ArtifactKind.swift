/// The five kinds of artifact, in the order the reconciler deploys them.
public enum ArtifactKind: String, Sendable, Hashable, CaseIterable, Comparable {
    case datasetManifest = "DatasetManifest"
    case adapter = "Adapter"
    case promptTemplate = "PromptTemplate"
    case chain = "Chain"
    case deployment = "Deployment"

    /// The short name used in identities and tags: `prompt/support-triage`.
    public var shortName: String {
        switch self {
        case .datasetManifest: "dataset"
        case .adapter: "adapter"
        case .promptTemplate: "prompt"
        case .chain: "chain"
        case .deployment: "deployment"
        }
    }

    public init?(shortName: String) {
        guard let kind = Self.allCases.first(where: { $0.shortName == shortName }) else { return nil }
        self = kind
    }

    /// The JSON Schema file for this kind, under `schemas/`.
    public var schemaFile: String { "\(shortName).schema.json" }

    public static func < (lhs: ArtifactKind, rhs: ArtifactKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
