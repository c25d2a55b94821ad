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

    /// Parses a tag name; nil for tags that are not cairn/GTO tags (they are ignored).
    public init?(_ text: String) {
        if let hash = text.firstIndex(of: "#") {
            guard let id = ArtifactID(String(text[..<hash])) else { return nil }
            let rest = text[text.index(after: hash)...]
            guard let second = rest.lastIndex(of: "#"), let counter = Int(rest[rest.index(after: second)...]), counter >= 0 else { return nil }
            var stage = String(rest[..<second])
            let isUnassign = stage.hasSuffix("!")
            if isUnassign { stage.removeLast() }
            guard ArtifactID.isValidName(stage) else { return nil }
            self = isUnassign ? .unassign(id, environment: stage, counter: counter) : .assign(id, environment: stage, counter: counter)
            return
        }
        guard let at = text.lastIndex(of: "@") else { return nil }
        let rest = String(text[text.index(after: at)...])
        if rest.hasPrefix("deprecated#"), let id = ArtifactID(String(text[..<at])), let counter = Int(rest.dropFirst("deprecated#".count)) {
            self = .deprecate(id, counter: counter)
            return
        }
        guard rest.hasPrefix("v"), let id = ArtifactID(String(text[..<at])) else { return nil }
        var version = String(rest.dropFirst())
        let isDeregister = version.hasSuffix("!")
        if isDeregister { version.removeLast() }
        guard let semver = SemVer(version) else { return nil }
        self = isDeregister ? .deregister(id, semver) : .register(id, semver)
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
