import CairnModel
import CairnRegistry
import Crypto
import Foundation
import Git2

/// The declared state last resolved for an environment, kept in `.git/cairn/declared-HASH` with what it was resolved
/// from: the environment's settings and the schemas (a state made with other ones is not used), each artifact's tag
/// digest, and a snapshot of the tag reference files. The file is only ever a shortcut.
///
/// It is a log of records: a resolution of every tag writes it whole; bringing it up to date appends what changed
/// (artifacts, tag digests, reference folders), and a plan appends a base (`PlanBase`). Later records win. A torn
/// tail is ignored: what it would have recorded is found changed again next time, because the reference folders it
/// was about are written last.
/// The kinds of record in a declared-state cache file.
private enum Kind: UInt8 {
    case settings = 1, artifact, gone, problems, groups, packed, folder, folderGone, noSnapshot, base, folderChange
}

struct DeclaredCache {
    static let magic = "cairn-declared-cache-6"
    let url: URL
    /// The environment's settings and the schemas: what a state must have been made with to be reused.
    let settings: [UInt8]

    init(gitDirectory: String, environment: String, isProtected: Bool, schemaFingerprint: String) {
        let name = SHA256.hash(data: Array(environment.utf8)).prefix(8).hexString
        url = URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/declared-\(name)")
        var header = CacheWriter()
        header.string(Self.magic)
        header.string(environment)
        header.int(isProtected ? 1 : 0)
        header.string(schemaFingerprint)
        settings = Array(SHA256.hash(data: header.bytes))
    }

    /// What a plan found at the end of a run: the store it compared with, the store's serial and deployed mark, and
    /// the artifacts it had actions for. While the serial and mark are unchanged, a later plan needs to look only at
    /// these artifacts and those whose declared state changed since (`Loaded.changedSinceBase`).
    struct PlanBase: Equatable {
        var store: String
        var serial: Int
        var mark: [UInt8]?
        var pending: Set<ArtifactID>
    }

    /// Where a file this run read or wrote ends, and its magic and settings record, which name that writing of it
    /// (they hold a random number): an append checks the file still is what the run saw.
    struct End {
        var length: Int
        var header: [UInt8]
    }

    struct Loaded {
        var state: DeclaredState
        /// The reference files the state was resolved from; nil when they could not be snapshot.
        var snapshot: TagRefSnapshot?
        var base: PlanBase?
        /// Artifacts recorded after the base.
        var changedSinceBase: Set<ArtifactID> = []
        /// Where the tag digest records start, decoded by `groups()` when wanted.
        fileprivate var groupRecords: [Int] = []
        fileprivate var bytes: [UInt8] = []
        /// Where the file ended when read.
        var end: End
        /// Torn, or more records than a fresh file would hold: the next save writes it whole.
        var isBloated: Bool
    }

    /// The cached state when the file exists, is intact up to its last whole record, and was made with these settings.
    /// Artifacts are left in the bytes, found by id (`CachedEntries`); only the small records are decoded.
    func load(environment: String) -> Loaded? {
        guard let bytes = CacheFile.read(url) else { return nil }
        var reader = CacheReader(bytes: bytes)
        guard (try? reader.string()) == Self.magic else { return nil }
        var loaded = Loaded(state: DeclaredState(environment: environment, artifacts: [:], problems: []), snapshot: nil,
                            end: End(length: bytes.count, header: []), isBloated: false)
        var offsets: [ArtifactID: Int] = [:]
        var afterBase: [ArtifactID] = []
        // Folder records by path, decoded at the end: a folder of 4,000 loose tags is recorded again after each
        // promotion, and only the last record counts.
        var folders: [String: [Int]] = [:]  // a whole record, then changes to it
        // Bytes of records a later one replaced: when they outweigh the rest, the next save writes the file whole.
        var dead = 0
        var lengths: [String: Int] = [:]  // of each folder's last record
        var packed: TagRefSnapshot.Stamp?
        var hasSnapshot = false
        var sameSettings = false
        let (count, complete) = reader.records { kind, reader in
            switch Kind(rawValue: kind) {
            case .settings:
                sameSettings = try reader.raw(32) == settings
                _ = try reader.raw(16)  // the writing's own random number
                loaded.end.header = Array(bytes[..<reader.offset])
            case .artifact:
                let start = reader.offset
                let id = try reader.artifactID()
                // Artifact records are a few hundred bytes each; one replaced counts as its replacement's length.
                if offsets.updateValue(start, forKey: id) != nil { dead += reader.recordEnd - start }
                afterBase.append(id)
                reader.skipRecord()
            case .gone:
                let id = try reader.artifactID()
                if offsets.removeValue(forKey: id) != nil { dead += 256 }
                afterBase.append(id)
            case .problems:
                loaded.state.problems = try (0..<reader.count()).map { _ in try reader.string() }
            case .groups:
                loaded.groupRecords.append(reader.offset)
                reader.skipRecord()
            case .packed:
                hasSnapshot = true
                packed = try reader.byte() == 1 ? try reader.stamp() : nil
            case .folder:
                let start = reader.offset
                let path = try reader.string()
                folders[path] = [start]
                dead += lengths.updateValue(reader.recordEnd - start, forKey: path) ?? 0
                reader.skipRecord()
            case .folderChange:
                let start = reader.offset
                let path = try reader.string()
                // Changes count as replaced bytes: enough of them and the file is written whole, folders compacted.
                if folders[path] != nil { folders[path]!.append(start) }
                dead += reader.recordEnd - start
                reader.skipRecord()
            case .folderGone:
                let path = try reader.string()
                folders[path] = nil
                dead += lengths.removeValue(forKey: path) ?? 0
            case .noSnapshot:
                hasSnapshot = false
                folders = [:]
            case .base:
                var base = PlanBase(store: try reader.string(), serial: try reader.int(), mark: nil, pending: [])
                if try reader.byte() == 1 { base.mark = try reader.raw(16) }
                base.pending = Set(try (0..<reader.count()).map { _ in try reader.artifactID() })
                loaded.base = base
                afterBase = []
            case nil:
                return false
            }
            return true
        }
        guard sameSettings, !loaded.end.header.isEmpty else { return nil }
        loaded.state.entries = CachedEntries(bytes: bytes, offsets: offsets)
        loaded.changedSinceBase = Set(afterBase)
        if hasSnapshot {
            var snapshot = TagRefSnapshot(packed: packed, folders: [:])
            for (path, records) in folders {
                guard let folder = TagRefSnapshot.Folder.decode(records, in: bytes) else { return nil }
                snapshot.folders[path] = folder
            }
            loaded.snapshot = snapshot
        }
        // A torn tail would sit before every later append: write the file whole next time.
        loaded.isBloated = !complete || dead > bytes.count - dead || count > 3 * offsets.count + 64
        loaded.bytes = bytes
        return loaded
    }

    /// Writes `state` (before any content is loaded) whole, with its tag digests and reference snapshot, atomically;
    /// a failure to write only costs the next run time.
    /// Returns where the file ends, nil when it was not written.
    @discardableResult
    func save(_ state: DeclaredState, groups: [ArtifactID: [UInt8]], snapshot: TagRefSnapshot?) -> End? {
        guard state.artifacts.keys.allSatisfy({ state.files[$0] != nil }) else { return nil }
        var writer = CacheWriter()
        writer.string(Self.magic)
        writer.record(Kind.settings.rawValue) { out in
            out.raw(settings)
            var random = SystemRandomNumberGenerator()
            out.raw((0..<16).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
        let header = writer.bytes
        for id in state.artifacts.keys { writer.artifact(id, of: state) }
        writer.record(Kind.problems.rawValue) { out in
            out.int(state.problems.count)
            for problem in state.problems { out.string(problem) }
        }
        writer.groups(groups.mapValues { Optional($0) })
        writer.snapshot(snapshot, since: nil)
        return CacheFile.replace(url, with: writer.bytes) ? End(length: writer.bytes.count, header: header) : nil
    }

    /// Appends what changed since `loaded`: the artifacts in `touched` (recorded, or gone when `state` has none),
    /// their new tag digests, and the reference folders that differ. Problems are not appended: a state brought up to
    /// date has none, as had the one it came from. Returns where the file ends, nil when it was not written.
    @discardableResult
    func append(_ state: DeclaredState, touched: Set<ArtifactID>, groups: [ArtifactID: [UInt8]?], snapshot: TagRefSnapshot?, to loaded: Loaded) -> End? {
        var writer = CacheWriter()
        for id in touched.sorted() {
            if state.artifact(id) != nil, state.file(id) != nil {
                writer.artifact(id, of: state)
            } else {
                writer.record(Kind.gone.rawValue) { $0.artifactID(id) }
            }
        }
        if !groups.isEmpty { writer.groups(groups) }
        writer.snapshot(snapshot, since: loaded.snapshot)
        let end = loaded.end
        guard !writer.bytes.isEmpty else { return end }
        guard CacheFile.append(writer.bytes, to: url, expectedLength: end.length, expectedStart: end.header) else { return nil }
        return End(length: end.length + writer.bytes.count, header: end.header)
    }

    /// Appends a plan base, if the file still ends at `end`.
    func append(_ base: PlanBase, at end: End) {
        var writer = CacheWriter()
        writer.record(Kind.base.rawValue) { out in
            out.string(base.store)
            out.int(base.serial)
            if let mark = base.mark, mark.count == 16 {
                out.raw([1] + mark)
            } else {
                out.raw([0])
            }
            out.int(base.pending.count)
            for id in base.pending.sorted() { out.artifactID(id) }
        }
        _ = CacheFile.append(writer.bytes, to: url, expectedLength: end.length, expectedStart: end.header)
    }
}

private extension CacheWriter {
    mutating func artifact(_ id: ArtifactID, of state: DeclaredState) {
        guard let artifact = state.artifact(id), let file = state.file(id) else { return }
        record(Kind.artifact.rawValue) { out in
            out.artifactID(id)
            out.semver(artifact.version.version)
            out.string(artifact.digest)
            out.string(artifact.commit)
            out.string(artifact.tag)
            out.objectID(file.blob)
            out.string(file.path)
            out.int(file.references.count)
            for site in file.references { out.reference(field: site.field, text: site.text, site.reference) }
        }
    }

    mutating func groups(_ groups: [ArtifactID: [UInt8]?]) {
        record(Kind.groups.rawValue) { out in
            out.int(groups.count)
            for (id, digest) in groups {
                out.artifactID(id)
                if let digest { out.raw([1] + digest) } else { out.raw([0]) }
            }
        }
    }

    mutating func stamp(_ stamp: TagRefSnapshot.Stamp) {
        int(Int(bitPattern: UInt(stamp.inode)))
        int(Int(stamp.size))
        int(Int(stamp.seconds))
        int(Int(stamp.nanoseconds))
    }

    mutating func folderHeader(_ path: String, _ folder: TagRefSnapshot.Folder) {
        string(path)
        stamp(folder.stamp)
        int(Int(folder.readAt))
        int(folder.folders.count)
        for child in folder.folders { string(child) }
    }

    mutating func references(_ references: [String: ObjectID], stamps: [String: TagRefSnapshot.Stamp]) {
        int(references.count)
        for (name, object) in references {
            string(name)
            objectID(object)
            stamp(stamps[name] ?? TagRefSnapshot.Stamp(inode: 0, size: 0, seconds: 0, nanoseconds: 0))
        }
    }

    /// The snapshot's records that differ from `previous` (all of them without one).
    mutating func snapshot(_ snapshot: TagRefSnapshot?, since previous: TagRefSnapshot?) {
        guard let snapshot else {
            record(Kind.noSnapshot.rawValue) { _ in }
            return
        }
        if previous == nil || previous?.packed != snapshot.packed {
            record(Kind.packed.rawValue) { out in
                if let packed = snapshot.packed {
                    out.raw([1])
                    out.stamp(packed)
                } else {
                    out.raw([0])
                }
            }
        }
        for (path, folder) in snapshot.folders.sorted(by: { $0.key < $1.key }) where previous?.folders[path] != folder {
            // A folder that changed a little (a promotion adds two tags to thousands) is recorded as its changes.
            if let before = previous?.folders[path] {
                let changed = folder.references.filter { before.references[$0.key] != $0.value || before.stamps[$0.key] != folder.stamps[$0.key] }
                let removed = before.references.keys.filter { folder.references[$0] == nil }
                if changed.count + removed.count < folder.references.count / 2 {
                    record(Kind.folderChange.rawValue) { out in
                        out.folderHeader(path, folder)
                        out.references(changed, stamps: folder.stamps)
                        out.int(removed.count)
                        for name in removed { out.string(name) }
                    }
                    continue
                }
            }
            record(Kind.folder.rawValue) { out in
                out.folderHeader(path, folder)
                out.references(folder.references, stamps: folder.stamps)
            }
        }
        for path in (previous?.folders.keys ?? [:].keys) where snapshot.folders[path] == nil {
            record(Kind.folderGone.rawValue) { $0.string(path) }
        }
    }
}

private extension CacheReader {
    /// Whether an artifact record's file references one of the `encoded` artifact ids.
    mutating func referencesAny(of encoded: [[UInt8]]) throws -> Bool {
        _ = try byte()
        try skipString()  // the artifact's own id
        try skipSemver()
        for _ in 0..<3 { try skipString() }  // digest, commit, tag
        try skip(20)  // blob
        try skipString()  // path
        for _ in 0..<(try count()) {
            try skipString()  // field
            try skipString()  // text
            let start = offset
            _ = try byte()
            try skipString()
            if encoded.contains(where: { $0.count == offset - start && bytes[start..<offset].elementsEqual($0) }) { return true }
            if try byte() != 3 { try skipSemver() }  // the requirement: exact, caret, tilde with a version, or any
        }
        return false
    }

    mutating func skipSemver() throws {
        try skip(24)
        try skipString()
        try skipString()
    }

    mutating func declaredArtifact() throws -> (DeclaredArtifact, DeclaredState.LocatedFile) {
        let id = try artifactID()
        let version = ArtifactVersion(id: id, version: try semver())
        let digest = try string()
        let artifact = DeclaredArtifact(version: version, digest: digest, content: "", commit: try string(), tag: try string())
        var file = DeclaredState.LocatedFile(blob: try objectID(), path: try string(), digest: digest, references: [])
        for _ in 0..<(try count()) { file.references.append(try reference()) }
        return (artifact, file)
    }

    mutating func stamp() throws -> TagRefSnapshot.Stamp {
        TagRefSnapshot.Stamp(inode: UInt64(UInt(bitPattern: try int())), size: Int64(try int()), seconds: Int64(try int()), nanoseconds: Int64(try int()))
    }

    /// A folder record's header: path, stamp, read time, sub-folders.
    mutating func folderHeader() throws -> (path: String, stamp: TagRefSnapshot.Stamp, readAt: Int64, folders: [String]) {
        (try string(), try stamp(), Int64(try int()), try (0..<count()).map { _ in try string() })
    }

    /// Checks that a list of references is all there, without decoding it.
    mutating func skipReferences() throws {
        for _ in 0..<(try count()) {
            try skipString()
            try skip(20 + 32)  // object id, stamp
        }
    }

    mutating func references(into references: inout [String: ObjectID], stamps: inout [String: TagRefSnapshot.Stamp]) throws {
        let count = try count()
        references.reserveCapacity(count)
        stamps.reserveCapacity(count)
        for _ in 0..<count {
            let name = try string()
            references[name] = try objectID()
            stamps[name] = try stamp()
        }
    }
}

extension DeclaredCache.Loaded {
    /// Each artifact's tag digest when its state was recorded.
    func groups() -> [ArtifactID: [UInt8]] {
        var groups: [ArtifactID: [UInt8]] = [:]
        for start in groupRecords {
            var reader = CacheReader(bytes: bytes, offset: start)
            guard let count = try? reader.count() else { return [:] }
            for _ in 0..<count {
                guard let id = try? reader.artifactID(), let present = try? reader.byte() else { return [:] }
                groups[id] = present == 1 ? (try? reader.raw(16)) : nil
            }
        }
        return groups
    }
}

/// The artifacts of a cached declared state, decoded from the file's bytes when asked for: a plan that builds on the
/// last one looks at a handful of 10,000. Immutable.
final class CachedEntries: @unchecked Sendable {
    private let bytes: [UInt8]
    /// Where each artifact's latest record starts.
    let offsets: [ArtifactID: Int]

    init(bytes: [UInt8], offsets: [ArtifactID: Int]) {
        self.bytes = bytes
        self.offsets = offsets
    }

    func entry(_ id: ArtifactID) -> (artifact: DeclaredArtifact, file: DeclaredState.LocatedFile)? {
        guard let start = offsets[id] else { return nil }
        var reader = CacheReader(bytes: bytes, offset: start)
        return try? reader.declaredArtifact()
    }

    /// The artifacts (among those `counts` accepts) whose file references one of `targets`, read from the bytes
    /// without decoding the rest of their records.
    func referencers(of targets: Set<ArtifactID>, counts: (ArtifactID) -> Bool) -> Set<ArtifactID> {
        let encoded = targets.map { target in
            var writer = CacheWriter()
            writer.artifactID(target)
            return writer.bytes
        }
        var found = Set<ArtifactID>()
        for (id, start) in offsets {
            var reader = CacheReader(bytes: bytes, offset: start)
            // An unreadable record counts as referencing.
            if (try? reader.referencesAny(of: encoded)) != false, counts(id) { found.insert(id) }
        }
        return found
    }
}

extension TagRefSnapshot.Folder {
    /// A folder from its records in a cache file (a whole record, then changes): stamp and sub-folders from the last
    /// one now, references when first asked for. Nil when a record is not all there.
    static func decode(_ records: [Int], in bytes: [UInt8]) -> TagRefSnapshot.Folder? {
        var header: (path: String, stamp: TagRefSnapshot.Stamp, readAt: Int64, folders: [String])?
        var bodies: [Int] = []
        for start in records {
            var reader = CacheReader(bytes: bytes, offset: start)
            guard let read = try? reader.folderHeader() else { return nil }
            header = read
            bodies.append(reader.offset)
            guard (try? reader.skipReferences()) != nil else { return nil }
            if start != records[0] {
                guard let removed = try? reader.count() else { return nil }
                for _ in 0..<removed { guard (try? reader.skipString()) != nil else { return nil } }
            }
        }
        guard let header else { return nil }
        let starts = bodies
        return TagRefSnapshot.Folder(stamp: header.stamp, readAt: header.readAt, folders: header.folders) {
            var references: [String: ObjectID] = [:], stamps: [String: TagRefSnapshot.Stamp] = [:]
            for (index, start) in starts.enumerated() {
                var reader = CacheReader(bytes: bytes, offset: start)
                try? reader.references(into: &references, stamps: &stamps)
                if index > 0, let removed = try? reader.count() {
                    for _ in 0..<removed {
                        guard let name = try? reader.string() else { break }
                        references[name] = nil
                        stamps[name] = nil
                    }
                }
            }
            return (references, stamps)
        }
    }
}
