/// An artifact's identity, `KIND/NAME` with the kind's short name, e.g. `prompt/support-triage`.
public struct ArtifactID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let kind: ArtifactKind
    public let name: String

    public init(kind: ArtifactKind, name: String) {
        self.kind = kind
        self.name = name
    }

    /// Parses `prompt/support-triage`.
    public init?(_ text: String) {
        let bytes = text.utf8
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")),
              let kind = ArtifactKind(shortName: String(Substring(bytes[..<slash]))) else { return nil }
        let name = String(Substring(bytes[bytes.index(after: slash)...]))
        guard Self.isValidName(name) else { return nil }
        self.init(kind: kind, name: name)
    }

    /// `[a-z0-9]([a-z0-9-]*[a-z0-9])?`, at most 63 characters.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return false }
        func allowed(_ byte: UInt8, dash: Bool) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || (dash && byte == UInt8(ascii: "-"))
        }
        return allowed(bytes.first!, dash: false) && allowed(bytes.last!, dash: false) && bytes.allSatisfy { allowed($0, dash: true) }
    }

    public var description: String { "\(kind.shortName)/\(name)" }

    public static func < (lhs: ArtifactID, rhs: ArtifactID) -> Bool {
        (lhs.kind, lhs.name) < (rhs.kind, rhs.name)
    }
}

/// One version of an artifact: `prompt/support-triage@1.3.0`.
public struct ArtifactVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let id: ArtifactID
    public let version: SemVer

    public init(id: ArtifactID, version: SemVer) {
        self.id = id
        self.version = version
    }

    /// Parses `prompt/support-triage@1.3.0`.
    public init?(_ text: String) {
        guard let (head, tail) = splitAtLastAt(text), let id = ArtifactID(head), let version = SemVer(tail) else { return nil }
        self.init(id: id, version: version)
    }

    public var description: String { "\(id)@\(version)" }

    public static func < (lhs: ArtifactVersion, rhs: ArtifactVersion) -> Bool {
        lhs.id != rhs.id ? lhs.id < rhs.id : lhs.version < rhs.version
    }
}

/// A reference from one artifact to another: an exact pin or a range, `prompt/support-triage@^1.3`.
public struct ArtifactReference: Sendable, Hashable, CustomStringConvertible {
    public let id: ArtifactID
    public let requirement: VersionRequirement

    public init(id: ArtifactID, requirement: VersionRequirement) {
        self.id = id
        self.requirement = requirement
    }

    /// Parses `KIND/NAME@REQUIREMENT`.
    public init?(_ text: String) {
        guard let (head, tail) = splitAtLastAt(text), let id = ArtifactID(head),
              let requirement = VersionRequirement(tail) else { return nil }
        self.init(id: id, requirement: requirement)
    }

    public var description: String { "\(id)@\(requirement)" }
}

/// Splits `a@b` at its last `@`, working on UTF-8 bytes (this runs for every reference of every artifact).
private func splitAtLastAt(_ text: String) -> (String, String)? {
    let bytes = text.utf8
    guard let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return nil }
    return (String(Substring(bytes[..<at])), String(Substring(bytes[bytes.index(after: at)...])))
}
