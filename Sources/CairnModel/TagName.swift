/// A git tag name in GTO's grammar, with cairn's artifact names (`KIND/NAME`) and any other name GTO writes
/// (`churn`, `models/churn`, `nn=model` for `nn:model`), read as a tag-only artifact.
///
/// - `NAME@vX.Y.Z` registers a version, `NAME@vX.Y.Z!` deregisters it
/// - `NAME#STAGE#N` assigns to an environment, `NAME#STAGE!#N` unassigns
/// - `NAME@deprecated#N` deprecates the artifact
///
/// and cairn's holds, which GTO ignores (they contain neither `@` nor `#`), for cairn's artifacts only (a tag-only
/// artifact is never deployed, so there is nothing to hold):
/// - `cairn-hold/ENV/KIND/NAME/vX.Y.Z/N` stops a version from being assigned to ENV again
/// - `cairn-release/ENV/KIND/NAME/vX.Y.Z/N` lifts it (N counts holds and releases of that version in ENV)
public enum TagName: Sendable, Hashable {
    case register(ArtifactID, SemVer)
    case deregister(ArtifactID, SemVer)
    case assign(ArtifactID, environment: String, counter: Int)
    case unassign(ArtifactID, environment: String, counter: Int)
    case deprecate(ArtifactID, counter: Int)
    case hold(ArtifactID, SemVer, environment: String, counter: Int)
    case release(ArtifactID, SemVer, environment: String, counter: Int)

    static let holdPrefix = "cairn-hold/"
    static let releasePrefix = "cairn-release/"

    /// The largest counter a tag may carry. Counters are compared and incremented; nine digits is more promotions
    /// than any artifact will see, and keeps "one more than the highest" far from overflow. A tag with a longer
    /// counter is not read (`problem(_:)` says why) and the server hook refuses it.
    public static let maxCounter = 999_999_999

    /// Why `text` looks like a registry tag but cannot be read safely, or nil (it reads, or it is no registry tag).
    public static func problem(_ text: String) -> String? {
        guard TagName(text) == nil else { return nil }
        let counter: Substring?
        if text.hasPrefix(holdPrefix) || text.hasPrefix(releasePrefix) {
            counter = text.split(separator: "/", omittingEmptySubsequences: false).last
        } else if text.contains("#") || text.contains("@") {
            counter = text.lastIndex(of: "#").map { text[text.index(after: $0)...] }
        } else {
            counter = nil
        }
        guard let counter, !counter.isEmpty, counter.allSatisfy({ $0 >= "0" && $0 <= "9" }), Self.counter(counter) == nil else { return nil }
        return "tag '\(text)' has counter \(counter), beyond the largest cairn orders (\(maxCounter)); it is ignored"
    }

    /// A counter's digits as a number, nil when empty, not all digits, or above `maxCounter`.
    static func counter(_ digits: Substring) -> Int? {
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0 >= "0" && $0 <= "9" }) else { return nil }
        return Int(digits)
    }

    /// Parses a tag name as GTO's pattern does: the artifact, then `#STAGE` or `@vVERSION` (either may end in `!`,
    /// cancelling) or `@deprecated`, then an optional `#COUNTER`. A missing counter counts as 0. Returns nil for
    /// tags that are not cairn/GTO tags (they are ignored), and for GTO's `@created` marker, which carries nothing
    /// cairn reads.
    public init?(_ text: String) {
        if text.hasPrefix("cairn-") {
            self.init(holdTag: text)
            return
        }
        guard let split = text.firstIndex(where: { $0 == "@" || $0 == "#" }), let id = ArtifactID(gtoName: String(text[..<split]), inTag: true) else { return nil }
        var rest = text[text.index(after: split)...]
        var counter = 0
        if let hash = rest.lastIndex(of: "#") {
            guard let number = Self.counter(rest[rest.index(after: hash)...]) else { return nil }
            counter = number
            rest = rest[..<hash]
        }
        let isCancel = rest.hasSuffix("!")
        if isCancel { rest = rest.dropLast() }
        if text[split] == "#" {
            // GTO's stage names (cairn.yaml's environments are a stricter subset of them).
            guard ArtifactID.isGTOName(String(rest)) else { return nil }
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

    private init?(holdTag text: String) {
        let isHold = text.hasPrefix(Self.holdPrefix)
        guard isHold || text.hasPrefix(Self.releasePrefix) else { return nil }
        let parts = text.dropFirst(isHold ? Self.holdPrefix.count : Self.releasePrefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, ArtifactID.isValidName(String(parts[0])), let id = ArtifactID("\(parts[1])/\(parts[2])"),
              parts[3].hasPrefix("v"), let version = SemVer(String(parts[3].dropFirst())),
              let counter = Self.counter(parts[4]) else { return nil }
        self = isHold ? .hold(id, version, environment: String(parts[0]), counter: counter)
                      : .release(id, version, environment: String(parts[0]), counter: counter)
    }

    /// The artifact the tag is about.
    public var artifact: ArtifactID {
        switch self {
        case .register(let id, _), .deregister(let id, _), .assign(let id, _, _), .unassign(let id, _, _), .deprecate(let id, _),
             .hold(let id, _, _, _), .release(let id, _, _, _): id
        }
    }

    /// The environment the tag is about: assignments, unassignments, holds and releases; nil for the others.
    public var environment: String? {
        switch self {
        case .assign(_, let environment, _), .unassign(_, let environment, _), .hold(_, _, let environment, _), .release(_, _, let environment, _):
            environment
        case .register, .deregister, .deprecate: nil
        }
    }

    /// Whether this is one of cairn's holds or releases (which GTO does not read).
    public var isHold: Bool {
        switch self {
        case .hold, .release: true
        default: false
        }
    }

    /// The counter GTO orders an artifact's tags by (0 when the tag has none).
    public var counter: Int {
        switch self {
        case .register, .deregister: 0
        case .assign(_, _, let counter), .unassign(_, _, let counter), .deprecate(_, let counter): counter
        // Holds count on their own: GTO does not see them, so they must not move its counters.
        case .hold, .release: 0
        }
    }

    public var text: String {
        switch self {
        case .register(let id, let version): "\(id.tagText)@v\(version)"
        case .deregister(let id, let version): "\(id.tagText)@v\(version)!"
        case .assign(let id, let environment, let counter): "\(id.tagText)#\(environment)#\(counter)"
        case .unassign(let id, let environment, let counter): "\(id.tagText)#\(environment)!#\(counter)"
        case .deprecate(let id, let counter): "\(id.tagText)@deprecated#\(counter)"
        case .hold(let id, let version, let environment, let counter): "\(Self.holdPrefix)\(environment)/\(id)/v\(version)/\(counter)"
        case .release(let id, let version, let environment, let counter): "\(Self.releasePrefix)\(environment)/\(id)/v\(version)/\(counter)"
        }
    }
}
