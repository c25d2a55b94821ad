/// A git tag name in GTO's grammar, with cairn's artifact names (`KIND/NAME`).
///
/// - `NAME@vX.Y.Z` registers a version, `NAME@vX.Y.Z!` deregisters it
/// - `NAME#STAGE#N` assigns to an environment, `NAME#STAGE!#N` unassigns
/// - `NAME@deprecated#N` deprecates the artifact
public enum TagName: Sendable, Hashable {
    case register(ArtifactID, SemVer)
    case deregister(ArtifactID, SemVer)
    case assign(ArtifactID, environment: String, counter: Int)
    case unassign(ArtifactID, environment: String, counter: Int)
    case deprecate(ArtifactID, counter: Int)

    /// Parses a tag name as GTO's pattern does: the artifact, then `#STAGE` or `@vVERSION` (either may end in `!`,
    /// cancelling) or `@deprecated`, then an optional `#COUNTER`. A missing counter counts as 0. Returns nil for
    /// tags that are not cairn/GTO tags (they are ignored), and for GTO's `@created` marker, which carries nothing
    /// cairn reads.
    public init?(_ text: String) {
        guard let split = text.firstIndex(where: { $0 == "@" || $0 == "#" }), let id = ArtifactID(String(text[..<split])) else { return nil }
        var rest = text[text.index(after: split)...]
        var counter = 0
        if let hash = rest.lastIndex(of: "#") {
            let digits = rest[rest.index(after: hash)...]
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }), let number = Int(digits) else { return nil }
            counter = number
            rest = rest[..<hash]
        }
        let isCancel = rest.hasSuffix("!")
        if isCancel { rest = rest.dropLast() }
        if text[split] == "#" {
            guard ArtifactID.isValidName(String(rest)) else { return nil }
            self = isCancel ? .unassign(id, environment: String(rest), counter: counter) : .assign(id, environment: String(rest), counter: counter)
            return
        }
        if rest == "deprecated", !isCancel {
            self = .deprecate(id, counter: counter)
            return
        }
        guard rest.hasPrefix("v"), let version = SemVer(String(rest.dropFirst())) else { return nil }
        self = isCancel ? .deregister(id, version) : .register(id, version)
    }

    /// The artifact the tag is about.
    public var artifact: ArtifactID {
        switch self {
        case .register(let id, _), .deregister(let id, _), .assign(let id, _, _), .unassign(let id, _, _), .deprecate(let id, _): id
        }
    }

    /// The counter GTO orders an artifact's tags by (0 when the tag has none).
    public var counter: Int {
        switch self {
        case .register, .deregister: 0
        case .assign(_, _, let counter), .unassign(_, _, let counter), .deprecate(_, let counter): counter
        }
    }

    public var text: String {
        switch self {
        case .register(let id, let version): "\(id)@v\(version)"
        case .deregister(let id, let version): "\(id)@v\(version)!"
        case .assign(let id, let environment, let counter): "\(id)#\(environment)#\(counter)"
        case .unassign(let id, let environment, let counter): "\(id)#\(environment)!#\(counter)"
        case .deprecate(let id, let counter): "\(id)@deprecated#\(counter)"
        }
    }
}
