import CairnModel
import Foundation
import Git2

/// The repository's tags as cairn last read them (nil `gitDirectory`: in memory): tag objects by id in
/// `.git/cairn/tags` ('A'); in `.git/cairn/refs`, apart so that a plan with nothing new loads no tag objects, the last
/// `TagRefSnapshot` with an identity ('S'), each folder's loose references ('F', by path), and the versions registered
/// by tag by the identity of the snapshot they were computed from ('R'). Reading 20,000 tags then costs a `stat` per folder, the
/// folders that changed and the tag objects not seen before; every command reads tags this way.
final class TagCache: @unchecked Sendable {
    let annotations: CacheStore<ObjectID, TagAnnotation>
    private let stamps: CacheStore<String, Recorded>
    private let folders: CacheStore<String, TagRefSnapshot.Contents>
    let registered: CacheStore<[UInt8], [ArtifactVersion]>
    private let lock = NSLock()
    /// The snapshot the file held before this process's first read, and the references changed since (nil: unknown).
    private var origin: (identity: [UInt8]?, changed: Set<String>?)?

    init(gitDirectory: String? = nil) {
        let folder = gitDirectory.map { URL(fileURLWithPath: $0).appendingPathComponent("cairn") }
        annotations = CacheStore(log: CacheLog(url: folder?.appendingPathComponent("tags"), format: "cairn-tags-4"), namespace: "A")
        let refs = CacheLog(url: folder?.appendingPathComponent("refs"), format: "cairn-refs-5")
        (stamps, folders, registered) = (CacheStore(log: refs, namespace: "S"), CacheStore(log: refs, namespace: "F"), CacheStore(log: refs, namespace: "R"))
    }

    /// The tag references now, read through the last snapshot.
    struct Reading {
        /// Nil when the files could not be trusted (then list references with libgit2).
        let snapshot: TagRefSnapshot?
        /// The short names of the loose references that appeared or moved since the snapshot `since`; nil when unknown.
        let changed: Set<String>?
        /// Identities of the snapshot compared with (nil when there was none) and of this one.
        let since: [UInt8]?
        let identity: [UInt8]?
        let kept: @Sendable (String) -> TagRefSnapshot.Contents?

        /// A folder's references: read by this snapshot, or as recorded.
        func contents(_ path: String) -> TagRefSnapshot.Contents? { snapshot?.read[path] ?? kept(path) }

        /// Every tag reference, loose over packed; nil when the snapshot cannot say.
        func references(commonDirectory: String) -> [(name: String, object: ObjectID)]? {
            snapshot?.references(commonDirectory: commonDirectory, kept: kept)
        }
    }

    /// Takes a snapshot of the reference files under `commonDirectory` after the one recorded, and records it (written
    /// by the next `save`, which the caller makes when done with the tags).
    func read(commonDirectory: String) -> Reading {
        let recorded = stamps[""], folders = self.folders
        let kept: @Sendable (String) -> TagRefSnapshot.Contents? = { folders[$0] }
        let (snapshot, changed) = TagRefSnapshot.take(commonDirectory: commonDirectory, previous: recorded?.snapshot.asPrevious(kept: kept))
        if let snapshot {
            for (path, contents) in snapshot.read { folders[path] = contents }
            // Folders gone (`git pack-refs` empties them) are forgotten, so that the file does not keep their references.
            for path in (recorded?.snapshot.folders ?? [:]).keys where snapshot.folders[path] == nil { folders[path] = nil }
        }
        // The references are the recorded snapshot's exactly when none changed: then its identity holds.
        let identity = recorded.flatMap { changed == [] ? $0.identity : nil } ?? (0..<16).map { _ in UInt8.random(in: 0...255) }
        let now = snapshot.map { Recorded(snapshot: TagRefSnapshot(packed: $0.packed, folders: $0.folders, read: [:]), identity: identity) }
        if now != recorded { stamps[""] = now }
        // The folders it did not read are as recorded: their records must be there and check, since callers take every
        // folder of a snapshot as known (they are decoded when asked for).
        let complete = snapshot.map { snapshot in snapshot.folders.keys.allSatisfy { snapshot.read[$0] != nil || folders.contains($0) } } ?? false
        // A second read in one process (promote lists tags, then resolves) reports the changes since the file's snapshot.
        let (since, sinceOrigin) = lock.withLock {
            var origin = self.origin ?? (recorded?.identity, [])
            origin.changed = complete ? changed.flatMap { changed in origin.changed.map { $0.union(changed) } } : nil
            self.origin = origin
            return origin
        }
        return Reading(snapshot: complete ? snapshot : nil, changed: sinceOrigin, since: since, identity: complete ? identity : nil, kept: kept)
    }

    /// A snapshot's stamps, and an identity of the references it saw: new whenever they may have changed.
    struct Recorded: Equatable {
        var snapshot: TagRefSnapshot, identity: [UInt8]
    }

    /// What the tag object `id` says: as kept, else read from `repository` (and kept); nil when it is not annotated.
    func annotation(_ id: ObjectID, in repository: Repository) throws -> TagAnnotation? {
        if let known = annotations[id] { return known }
        guard let read = try TagAnnotation.read(id, from: repository) else { return nil }
        annotations[id] = read
        return read
    }

    /// Whether `id` is known to be an annotated tag object (without decoding it).
    func isAnnotated(_ id: ObjectID) -> Bool { annotations.contains(id) }

    /// Writes what was added. A tag object never changes, so those this run did not read are kept too.
    func save() {
        if annotations.log.wasRead { annotations.keepAll() }
        annotations.log.save()
        stamps.log.save()
    }
}

// MARK: - Codecs

extension TagAnnotation: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(target, tagger, message) }
    init(from reader: inout CacheReader) throws { self.init(target: try reader.get(), tagger: try reader.get(), message: try reader.get()) }
}

extension Signature: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(name, email, time, offsetMinutes) }
    init(from reader: inout CacheReader) throws { self.init(name: try reader.get(), email: try reader.get(), time: try reader.get(), offsetMinutes: try reader.get()) }
}

/// `packed-refs`' stamp and each folder's, with when it was read (not what it read).
extension TagCache.Recorded: CacheCodable {
    func encode(to out: inout CacheWriter) {
        out.put(identity, snapshot.packed, snapshot.folders.count)
        for (path, folder) in snapshot.folders.sorted(by: { $0.key < $1.key }) { out.put(path, folder.stamp, folder.readAt, folder.folders) }
    }

    init(from reader: inout CacheReader) throws {
        identity = try reader.get()
        snapshot = TagRefSnapshot(packed: try reader.get(), folders: [:], read: [:])
        for _ in 0..<(try reader.count()) {
            let path: String = try reader.get()
            snapshot.folders[path] = .init(stamp: try reader.get(), readAt: try reader.get(), folders: try reader.get())
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
        out.put(references.count)
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
