/// The name of a tag that carries evidence about one registered version of one of cairn's artifacts (an in-toto
/// statement in its message): `cairn-eval/KIND/NAME/vX.Y.Z/ID` for an evaluation, `cairn-approval/KIND/NAME/vX.Y.Z/ID`
/// for an approval. ID is 16 hex digits of a SHA-256 over the statement and a random part, so records written at once
/// by two CI runners never collide and need no counter. GTO ignores these tags (no `@`, no `#`).
public struct EvidenceTag: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case evaluation = "cairn-eval"
        case approval = "cairn-approval"
    }

    public let kind: Kind
    public let version: ArtifactVersion
    public let id: String

    public init(kind: Kind, version: ArtifactVersion, id: String) {
        self.kind = kind
        self.version = version
        self.id = id
    }

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, let kind = Kind(rawValue: String(parts[0])), let id = ArtifactID("\(parts[1])/\(parts[2])"),
              parts[3].hasPrefix("v"), let version = SemVer(String(parts[3].dropFirst())),
              parts[4].count == 16, parts[4].allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return nil }
        self.kind = kind
        self.version = ArtifactVersion(id: id, version: version)
        self.id = String(parts[4])
    }

    /// Whether `text` starts like an evidence tag (then it is one, or it is malformed).
    public static func isEvidenceNamespace(_ text: String) -> Bool {
        Kind.allCases.contains { text.hasPrefix($0.rawValue + "/") }
    }

    /// The prefix shared by every tag of `kind` about `version`.
    public static func prefix(_ kind: Kind, _ version: ArtifactVersion) -> String {
        "\(kind.rawValue)/\(version.id)/v\(version.version)/"
    }

    public var text: String { Self.prefix(kind, version) + id }
}
