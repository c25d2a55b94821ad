import CairnManifest
import CairnModel
import Git2

// How cairn's values are kept in caches: ids as kind byte and name, versions pre-parsed, object ids as their 20 bytes.

/// The kind's rank, or 255 for a tag-only artifact; then the name.
extension ArtifactID: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(kind.map { UInt8($0.rank) } ?? 255, name) }

    init(from reader: inout CacheReader) throws {
        let rank: UInt8 = try reader.get(), name: String = try reader.get()
        if rank == 255 {
            guard let id = ArtifactID(gtoName: name), id.isTagOnly else { throw CacheReader.Corrupt() }
            self = id
        } else {
            guard let kind = ArtifactKind(rank: Int(rank)), ArtifactID.isValidName(name) else { throw CacheReader.Corrupt() }
            self.init(kind: kind, name: name)
        }
    }
}

extension SemVer: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(major, minor, patch, prerelease, build) }

    init(from reader: inout CacheReader) throws {
        self.init(major: try reader.get(), minor: try reader.get(), patch: try reader.get(), prerelease: try reader.get(), build: try reader.get())
    }
}

extension VersionRequirement: CacheCodable {
    func encode(to out: inout CacheWriter) {
        switch self {
        case .exact(let version): out.put(UInt8(0), version)
        case .caret(let version): out.put(UInt8(1), version)
        case .tilde(let version): out.put(UInt8(2), version)
        case .any: out.put(UInt8(3))
        }
    }

    init(from reader: inout CacheReader) throws {
        switch try reader.tag(4) {
        case 0: self = .exact(try reader.get())
        case 1: self = .caret(try reader.get())
        case 2: self = .tilde(try reader.get())
        default: self = .any
        }
    }
}

extension ArtifactReference: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(id, requirement) }
    init(from reader: inout CacheReader) throws { self.init(id: try reader.get(), requirement: try reader.get()) }
}

extension ArtifactVersion: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(id, version) }
    init(from reader: inout CacheReader) throws { self.init(id: try reader.get(), version: try reader.get()) }
}

extension ObjectID: CacheCodable {
    func encode(to out: inout CacheWriter) { out.raw(bytes) }

    init(from reader: inout CacheReader) throws {
        guard let id = ObjectID(bytes: try reader.raw(20)) else { throw CacheReader.Corrupt() }
        self = id
    }
}

extension SourceMark: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(line, column) }
    init(from reader: inout CacheReader) throws { self.init(line: try reader.get(), column: try reader.get()) }
}
