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
        switch shortName {
        case "dataset": self = .datasetManifest
        case "adapter": self = .adapter
        case "prompt": self = .promptTemplate
        case "chain": self = .chain
        case "deployment": self = .deployment
        default: return nil
        }
    }

    /// Deployment order, as a number (`allCases` is built anew on every use; sorting 10,000 ids compares often).
    public var rank: Int {
        switch self {
        case .datasetManifest: 0
        case .adapter: 1
        case .promptTemplate: 2
        case .chain: 3
        case .deployment: 4
        }
    }

    /// The kind of a `rank`.
    public init?(rank: Int) {
        switch rank {
        case 0: self = .datasetManifest
        case 1: self = .adapter
        case 2: self = .promptTemplate
        case 3: self = .chain
        case 4: self = .deployment
        default: return nil
        }
    }

    /// The JSON Schema file for this kind, under `schemas/`.
    public var schemaFile: String { "\(shortName).schema.json" }

    public static func < (lhs: ArtifactKind, rhs: ArtifactKind) -> Bool {
        lhs.rank < rhs.rank
    }
}
