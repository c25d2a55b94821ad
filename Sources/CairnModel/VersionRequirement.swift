/// What a reference accepts: one exact version, or a range (`^1.3`, `~1.3.0`, `*`).
public enum VersionRequirement: Sendable, Hashable, CustomStringConvertible {
    case exact(SemVer)
    /// Compatible releases: same major (or same minor under 1.0), at least the given version.
    case caret(SemVer)
    /// Patch releases of the given minor, at least the given version.
    case tilde(SemVer)
    case any

    /// Parses `1.3.0`, `^1.3`, `^1.3.0`, `~1.3`, `~1.3.0` or `*`.
    public init?(_ text: String) {
        if text == "*" { self = .any; return }
        if let version = SemVer(text) { self = .exact(version); return }
        guard let first = text.first, first == "^" || first == "~" else { return nil }
        let body = String(text.dropFirst())
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), !body.contains("-"), !body.contains("+") else { return nil }
        let padded = parts.map(String.init) + Array(repeating: "0", count: 3 - parts.count)
        guard let base = SemVer(padded.joined(separator: ".")) else { return nil }
        self = first == "^" ? .caret(base) : .tilde(base)
    }

    public var isExact: Bool {
        if case .exact = self { return true }
        return false
    }

    /// True when `version` satisfies the requirement. Pre-releases only match an exact pin.
    public func accepts(_ version: SemVer) -> Bool {
        switch self {
        case .exact(let pinned): return pinned.hasSamePrecedence(as: version)
        case .any: return version.prerelease.isEmpty
        case .caret(let base):
            guard version.prerelease.isEmpty, !(version < base) else { return false }
            if base.major > 0 { return version.major == base.major }
            if base.minor > 0 { return version.major == 0 && version.minor == base.minor }
            return version.major == 0 && version.minor == 0 && version.patch == base.patch
        case .tilde(let base):
            return version.prerelease.isEmpty && !(version < base) && version.major == base.major && version.minor == base.minor
        }
    }

    public var description: String {
        switch self {
        case .exact(let version): "\(version)"
        case .caret(let base): "^\(base)"
        case .tilde(let base): "~\(base)"
        case .any: "*"
        }
    }
}
