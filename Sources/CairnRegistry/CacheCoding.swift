import CairnCache
import CairnModel
import Git2

/// How cairn's values are written into cache values: ids as kind byte and name, versions pre-parsed, object ids as
/// their 20 bytes. Shared by the stores in this module and the reconciler's.
extension CacheWriter {
    /// The kind's rank, or 255 for a tag-only artifact; then the name.
    public mutating func artifactID(_ id: ArtifactID) {
        byte(id.kind.map { UInt8($0.rank) } ?? 255)
        string(id.name)
    }

    public mutating func semver(_ version: SemVer) {
        int(version.major)
        int(version.minor)
        int(version.patch)
        string(version.prerelease.joined(separator: "."))
        string(version.build.joined(separator: "."))
    }

    public mutating func requirement(_ requirement: VersionRequirement) {
        switch requirement {
        case .exact(let version): byte(0); semver(version)
        case .caret(let version): byte(1); semver(version)
        case .tilde(let version): byte(2); semver(version)
        case .any: byte(3)
        }
    }

    /// A reference as written in a file: the field, its text, and what it parses to.
    public mutating func reference(field: String, text: String, _ reference: ArtifactReference) {
        string(field)
        string(text)
        artifactID(reference.id)
        requirement(reference.requirement)
    }

    public mutating func objectID(_ id: ObjectID) { raw(id.bytes) }
}

extension CacheReader {
    public mutating func artifactID() throws -> ArtifactID {
        let rank = try byte()
        let name = try string()
        if rank == 255 {
            guard let id = ArtifactID(gtoName: name), id.isTagOnly else { throw Corrupt() }
            return id
        }
        guard let kind = ArtifactKind(rank: Int(rank)), ArtifactID.isValidName(name) else { throw Corrupt() }
        return ArtifactID(kind: kind, name: name)
    }

    public mutating func semver() throws -> SemVer {
        let major = try int(), minor = try int(), patch = try int()
        let prerelease = try string(), build = try string()
        return SemVer(major: major, minor: minor, patch: patch,
                      prerelease: prerelease.isEmpty ? [] : prerelease.split(separator: ".").map(String.init),
                      build: build.isEmpty ? [] : build.split(separator: ".").map(String.init))
    }

    public mutating func requirement() throws -> VersionRequirement {
        switch try byte() {
        case 0: return .exact(try semver())
        case 1: return .caret(try semver())
        case 2: return .tilde(try semver())
        case 3: return .any
        default: throw Corrupt()
        }
    }

    public mutating func reference() throws -> (field: String, text: String, reference: ArtifactReference) {
        (try string(), try string(), ArtifactReference(id: try artifactID(), requirement: try requirement()))
    }

    public mutating func objectID() throws -> ObjectID {
        guard let id = ObjectID(bytes: try raw(20)) else { throw Corrupt() }
        return id
    }
}
