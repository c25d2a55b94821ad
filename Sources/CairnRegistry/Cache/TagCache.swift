import CairnModel
import Crypto
import Foundation
import Git2

/// The repository's tags as cairn last read them: annotated tag objects by id in `.git/cairn/tags` ('A'; a tag object
/// never changes), and the last snapshot of the tag reference files in `.git/cairn/refs` (`TagRefSnapshot`: stamps
/// 'S', each folder's loose references 'F' by path; apart, so that a plan with nothing new loads no tag objects).
/// Reading 20,000 tags then costs a `stat` per reference folder, the folders that changed, and the tag objects not
/// seen before; every command that reads tags reads them this way. Apart from the validation cache because tags do
/// not depend on the schemas.
final class TagCache: Sendable {
    private let annotations: CacheStore<ObjectID, TagAnnotation>
    private let stamps: CacheStore<String, Stamps>
    private let folders: CacheStore<String, TagRefSnapshot.Contents>
    /// The registered versions computed from one snapshot's references ('R'), with its identity.
    private let registered: CacheStore<String, Registered>
    private let counter = Counter()
    /// What this process's reads have found since the snapshot the file held when it started.
    private let session = Session()

    /// An in-memory cache (tests, one-off runs).
    convenience init() { self.init(url: nil) }

    /// The cache files of a repository, each read on first use.
    convenience init(gitDirectory: String) {
        self.init(url: URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/tags"))
    }

    private init(url: URL?) {
        annotations = CacheStore(log: CacheLog(url: url, format: "cairn-tags-2"), namespace: "A")
        let refs = CacheLog(url: url?.deletingLastPathComponent().appendingPathComponent("refs"), format: "cairn-refs-2")
        (stamps, folders, registered) = (CacheStore(log: refs, namespace: "S"), CacheStore(log: refs, namespace: "F"), CacheStore(log: refs, namespace: "R"))
    }

    /// The versions registered by tag as computed from the references of the snapshot `identity` names, if that is
    /// the snapshot they were last computed from (a pure function of the references, so kept by their snapshot).
    func registeredVersions(at identity: [UInt8]?) -> Set<ArtifactVersion>? {
        guard let identity, let known = registered[""], known.identity == identity else { return nil }
        return Set(known.versions)
    }

    /// Records the versions computed from the snapshot `identity` names (nothing when the snapshot could not say).
    func record(registeredVersions versions: Set<ArtifactVersion>, at identity: [UInt8]?) {
        guard let identity else { return }
        registered[""] = Registered(identity: identity, versions: versions.sorted())
    }

    /// The tag references now, read through the last snapshot.
    struct Reading {
        /// Nil when the files could not be trusted (then list references with libgit2).
        let snapshot: TagRefSnapshot?
        /// The short names of the loose references that appeared or moved since the snapshot `since`; nil when unknown.
        let changed: Set<String>?
        /// Identities of the snapshot compared with (nil when there was none) and of this one: a caller that recorded
        /// the identity of the snapshot it last resolved against knows `changed` is relative to it when they are equal.
        let since: [UInt8]?
        let identity: [UInt8]?
        let kept: @Sendable (String) -> TagRefSnapshot.Contents?

        static let identityLength = 16

        /// A folder's references: read by this snapshot, or as recorded.
        func contents(_ path: String) -> TagRefSnapshot.Contents? { snapshot?.read[path] ?? kept(path) }

        /// Every tag reference, loose over packed; nil when the snapshot cannot say.
        func references(commonDirectory: String) -> [(name: String, object: ObjectID)]? {
            snapshot?.references(commonDirectory: commonDirectory, kept: kept)
        }
    }

    /// Takes a snapshot of the reference files of the repository whose references live in `commonDirectory`, after
    /// the one recorded, and records it (written by the next `save`, which the caller makes when done with the tags:
    /// a save keeps the records used so far when it writes the file whole).
    func read(commonDirectory: String) -> Reading {
        let recorded = stamps[""]
        let folders = self.folders
        // Before this read records the folders it reads again.
        let recordedIdentity = recorded?.identity { folders[$0] }
        let previous = recorded.map { TagRefSnapshot.Previous(packed: $0.packed, folders: $0.folders, contents: { folders[$0] }) }
        let (snapshot, changed) = TagRefSnapshot.take(commonDirectory: commonDirectory, previous: previous)
        let kept: @Sendable (String) -> TagRefSnapshot.Contents? = { folders[$0] }
        guard let snapshot else {
            stamps[""] = nil
            let since = session.record(since: recordedIdentity, changed: nil)
            return Reading(snapshot: nil, changed: nil, since: since, identity: nil, kept: kept)
        }
        for (path, contents) in snapshot.read { folders[path] = contents }
        // Folders gone (`git pack-refs` empties them) are forgotten, so that the file does not keep their references.
        if let recorded {
            for path in recorded.folders.keys where snapshot.folders[path] == nil { folders[path] = nil }
        }
        let now = Stamps(packed: snapshot.packed, folders: snapshot.folders)
        if now != recorded { stamps[""] = now }
        // The folders it did not read are as recorded: their records must be there (and count as used, undecoded).
        let complete = snapshot.folders.keys.allSatisfy { snapshot.read[$0] != nil || folders.log.value(folders.key($0)) != nil }
        // A second read in one process (promote lists tags, then resolves the declared state) reports the changes since
        // the file's snapshot, not since the first read, so that a caller can still compare with what it recorded.
        let since = session.record(since: recordedIdentity, changed: complete ? changed : nil)
        return Reading(snapshot: complete ? snapshot : nil, changed: complete ? session.changed : nil, since: since,
                       identity: complete ? now.identity { snapshot.read[$0] ?? folders[$0] } : nil, kept: kept)
    }

    var hits: Int { counter.value }

    func annotation(_ id: ObjectID) -> TagAnnotation? {
        let annotation = annotations[id]
        if annotation != nil { counter.add() }
        return annotation
    }

    /// What the tag object `id` says: as kept, else read from `repository` (and kept); nil when it is not annotated.
    func annotation(_ id: ObjectID, in repository: Repository) throws -> TagAnnotation? {
        if let known = annotation(id) { return known }
        guard let read = try TagAnnotation.read(id, from: repository) else { return nil }
        annotations[id] = read
        return read
    }

    /// A valid header for the tag-object file (the fuzzer puts records after one).
    var freshHeader: [UInt8] { annotations.log.freshHeader }

    /// Whether `id` is known to be an annotated tag object (without decoding it).
    func isAnnotated(_ id: ObjectID) -> Bool { annotations.log.value(annotations.key(id)) != nil }

    /// Writes what was added. A tag object never changes and a run reads only the tags it needs (a plan, those that
    /// moved), so the objects it did not read are not stale: they are all kept when the file is written whole.
    func save() {
        if annotations.log.wasRead { annotations.keepAll() }
        annotations.log.save()
        stamps.log.save()
    }
}

/// The reads of one process: the identity of the snapshot the file held before the first, and the loose references
/// changed since (nil once one read could not tell).
final class Session: @unchecked Sendable {
    private let lock = NSLock()
    private var started = false
    private var origin: [UInt8]?
    private var changedSinceOrigin: Set<String>? = []

    var changed: Set<String>? { lock.withLock { changedSinceOrigin } }

    /// Adds one read's changes (relative to `since`, the snapshot before it); returns the snapshot before the first read.
    func record(since: [UInt8]?, changed: Set<String>?) -> [UInt8]? {
        lock.withLock {
            if !started {
                (started, origin) = (true, since)
            }
            if let changed, let known = changedSinceOrigin { changedSinceOrigin = known.union(changed) } else { changedSinceOrigin = nil }
            return origin
        }
    }
}

/// A count shared by threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var value: Int { lock.withLock { count } }

    /// Adds `more`; returns the new count.
    @discardableResult
    func add(_ more: Int = 1) -> Int {
        lock.withLock {
            count += more
            return count
        }
    }
}

extension TagAnnotation: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(target, tagger, message) }
    init(from reader: inout CacheReader) throws { self.init(target: try reader.get(), tagger: try reader.get(), message: try reader.get()) }
}

extension Signature: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(name, email, time, Int64(offsetMinutes)) }

    init(from reader: inout CacheReader) throws {
        self.init(name: try reader.get(), email: try reader.get(), time: try reader.get(), offsetMinutes: Int32(truncatingIfNeeded: try reader.get(Int64.self)))
    }
}

/// Versions registered by tag, with the identity of the snapshot of references they were computed from.
struct Registered {
    var identity: [UInt8]
    var versions: [ArtifactVersion]
}

extension Registered: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(identity, versions) }
    init(from reader: inout CacheReader) throws { self.init(identity: try reader.get(), versions: try reader.get()) }
}

/// A snapshot's stamps: `packed-refs`' and each folder's.
struct Stamps: Equatable {
    var packed: TagRefSnapshot.Stamp?
    var folders: [String: TagRefSnapshot.FolderStamp]

    /// What tells this snapshot's references from another's: `packed-refs`' stamp and each folder's, and, for a folder
    /// modified too shortly before it was read for its stamp to be trusted (`FolderStamp.settled`), the references it
    /// held (`contents`), not when it was read: such a folder is read every time, and reading it again unchanged (just
    /// after `git pack-refs`, say) leaves the identity, and what is kept by it, as it was. Nil contents for such a
    /// folder make the identity one no other snapshot has.
    func identity(contents: (String) -> TagRefSnapshot.Contents?) -> [UInt8] {
        var out = CacheWriter()
        write(to: &out) { path, folder, out in
            guard !folder.settled else { return out.byte(0) }
            guard let held = contents(path) else { return out.put(UInt8(2), (0..<16).map { _ in UInt8.random(in: 0...255) }) }
            out.put(UInt8(1), held.references.count)
            for (name, object) in held.references.sorted(by: { $0.key < $1.key }) { out.put(name, object) }
        }
        return Array(SHA256.hash(data: out.bytes).prefix(TagCache.Reading.identityLength))
    }

    /// `packed-refs`' stamp, then each folder's path, stamp, what `folderExtra` writes of it (the file keeps when it
    /// was read; the identity counts what an unsettled one holds) and the folders in it.
    private func write(to out: inout CacheWriter, folderExtra: (String, TagRefSnapshot.FolderStamp, inout CacheWriter) -> Void) {
        out.put(packed, folders.count)
        for (path, folder) in folders.sorted(by: { $0.key < $1.key }) {
            out.put(path, folder.stamp)
            folderExtra(path, folder, &out)
            out.put(folder.folders)
        }
    }
}

/// The file keeps when each folder was read (`write(to:folderExtra:)`).
extension Stamps: CacheCodable {
    func encode(to out: inout CacheWriter) { write(to: &out) { _, folder, out in out.put(folder.readAt) } }

    init(from reader: inout CacheReader) throws {
        self.init(packed: try reader.get(), folders: [:])
        for _ in 0..<(try reader.count()) {
            let path: String = try reader.get()
            folders[path] = TagRefSnapshot.FolderStamp(stamp: try reader.get(), readAt: try reader.get(), folders: try reader.get())
        }
    }
}

extension TagRefSnapshot.Stamp: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(inode, size, seconds, nanoseconds) }
    init(from reader: inout CacheReader) throws { self.init(inode: try reader.get(), size: try reader.get(), seconds: try reader.get(), nanoseconds: try reader.get()) }
}

/// Each reference with its file's stamp, in no order (a folder of 4,000 references is written again as a whole).
extension TagRefSnapshot.Contents: CacheCodable {
    func encode(to out: inout CacheWriter) {
        out.int(references.count)
        for (name, object) in references { out.put(name, object, stamps[name] ?? TagRefSnapshot.Stamp(inode: 0, size: 0, seconds: 0, nanoseconds: 0)) }
    }

    init(from reader: inout CacheReader) throws {
        let count = try reader.count()
        self.init(references: Dictionary(minimumCapacity: count), stamps: Dictionary(minimumCapacity: count))
        for _ in 0..<count {
            let name: String = try reader.get()
            (references[name], stamps[name]) = (try reader.get(ObjectID.self), try reader.get(TagRefSnapshot.Stamp.self))
        }
    }
}
