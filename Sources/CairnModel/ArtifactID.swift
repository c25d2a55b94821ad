/// An artifact's identity: cairn's `KIND/NAME` with the kind's short name (`prompt/support-triage`), or a tag-only
/// artifact: any other name GTO's tags carry (`churn`, `models/churn`, `nn:model`), which has versions and stages in
/// tags and nothing in the tree to validate or deploy.
public struct ArtifactID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The kind; nil for a tag-only artifact.
    public let kind: ArtifactKind?
    /// The name after `KIND/`, or a tag-only artifact's whole GTO name (with `:` between a folder and the name).
    public let name: String

    public init(kind: ArtifactKind, name: String) {
        self.kind = kind
        self.name = name
    }

    private init(tagOnly name: String) {
        self.kind = nil
        self.name = name
    }

    /// Parses cairn's `prompt/support-triage` (what a file's references and `KIND/NAME` arguments name).
    public init?(_ text: String) {
        let bytes = text.utf8
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")),
              let kind = ArtifactKind(shortName: String(Substring(bytes[..<slash]))) else { return nil }
        let name = String(Substring(bytes[bytes.index(after: slash)...]))
        guard Self.isValidName(name) else { return nil }
        self.init(kind: kind, name: name)
    }

    /// Parses any artifact name GTO accepts: cairn's `KIND/NAME` first, otherwise GTO's `[FOLDER:]NAME` as a tag-only
    /// artifact (`churn`, `models/churn`, `nn:model`). In tag names GTO writes the `:` as `=`; pass `inTag: true` to
    /// read that form.
    public init?(gtoName text: String, inTag: Bool = false) {
        if let id = ArtifactID(text) {
            self = id
            return
        }
        let separator = UInt8(ascii: inTag ? "=" : ":")
        let bytes = Array(text.utf8)
        guard bytes.count <= Self.maxTagOnlyLength else { return nil }
        let colon = bytes.firstIndex(of: separator)
        let nameStart = colon.map { $0 + 1 } ?? 0
        if let colon {
            // GTO's folder: letters, digits, `-_./`, at least one.
            guard colon > 0, bytes[..<colon].allSatisfy({ Self.isAlphanumeric($0) || "-_./".utf8.contains($0) }) else { return nil }
        }
        guard Self.isGTOName(bytes[nameStart...]) else { return nil }
        var canonical = bytes
        if let colon { canonical[colon] = UInt8(ascii: ":") }
        self.init(tagOnly: String(decoding: canonical, as: UTF8.self))
    }

    /// A name as a person types it on the command line: cairn's or GTO's, a folder written as GTO's CLI writes it
    /// (`nn:model`) or as its tags do (`nn=model`).
    public static func argument(_ text: String) -> ArtifactID? {
        ArtifactID(gtoName: text) ?? ArtifactID(gtoName: text, inTag: true)
    }

    /// Longer tag-only names are not read (git allows longer refs; no artifact needs one, and names are compared often).
    public static let maxTagOnlyLength = 255

    /// GTO's name (of an artifact, after its folder, or of a stage): `[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?`.
    public static func isGTOName(_ text: String) -> Bool { isGTOName(Array(text.utf8)[...]) }

    private static func isGTOName(_ name: ArraySlice<UInt8>) -> Bool {
        guard let first = name.first, let last = name.last, isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return name.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "_") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
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

    /// Whether this is a tag-only artifact (no cairn kind).
    public var isTagOnly: Bool { kind == nil }

    /// `prompt/support-triage`, or a tag-only artifact's GTO name (`nn:model`).
    public var description: String { kind.map { "\($0.shortName)/\(name)" } ?? name }

    /// The name as tags spell it: GTO writes a folder's `:` as `=` (`nn=model@v1.0.0`).
    public var tagText: String { kind == nil ? name.replacingEvery(":", with: "=") : description }

    /// The kind's place in deployment order (`ArtifactKind.rank`); tag-only artifacts after every kind.
    public var kindRank: Int { kind?.rank ?? 5 }

    /// Kinds in deployment order, tag-only artifacts after them; then by name.
    public static func < (lhs: ArtifactID, rhs: ArtifactID) -> Bool {
        (lhs.kindRank, lhs.name) < (rhs.kindRank, rhs.name)
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

    /// Parses `prompt/support-triage@1.3.0`; with `anyName`, also a tag-only artifact's `churn@1.0.0` (a folder's
    /// separator as GTO's CLI writes it, `nn:model`, or as its tags do, `nn=model`).
    public init?(_ text: String, anyName: Bool = false) {
        guard let (head, tail) = splitAtLastAt(text),
              let id = anyName ? ArtifactID.argument(head) : ArtifactID(head),
              let version = SemVer(tail) else { return nil }
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
