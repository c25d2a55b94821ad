internal import CLibGit2
import Foundation

/// The tag references as files: `packed-refs`' stamp and, for each folder under `refs/tags/`, its stamp and what it
/// holds. Taking a snapshot after an earlier one re-reads only the folders whose stamp changed, so "which tags
/// changed since then?" costs a `stat` per folder instead of listing every reference.
///
/// This relies on how git and libgit2 write references: a new or moved reference is a lock file renamed into place,
/// and renaming changes the folder's modification time. A folder modified within `settling` seconds of being read is
/// read again next time, since a second change in the same clock tick would leave its time as it was. Anything the
/// snapshot cannot account for (packed-refs rewritten, a loose reference gone, a file that is not a plain reference)
/// makes the change unknown, and the caller lists references the ordinary way.
public struct TagRefSnapshot: Sendable, Equatable {
    /// What identifies a version of a file or folder: inode, size and modification time.
    public struct Stamp: Sendable, Hashable {
        public var inode: UInt64
        public var size: Int64
        public var seconds: Int64
        public var nanoseconds: Int64

        public init(inode: UInt64, size: Int64, seconds: Int64, nanoseconds: Int64) {
            self.inode = inode
            self.size = size
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        }
    }

    public struct Folder: Sendable, Equatable {
        public var stamp: Stamp
        /// When it was read (seconds since 1970).
        public var readAt: Int64
        /// Sub-folders, by path below `refs/tags/`.
        public var folders: [String]
        private let contents: Contents

        /// Loose references in the folder, by short name (`prompt/a@v1.0.0`).
        public var references: [String: ObjectID] { contents.value.references }
        /// Each loose reference file's stamp: a folder read again reads only the files whose stamp changed.
        public var stamps: [String: Stamp] { contents.value.stamps }

        public init(stamp: Stamp, readAt: Int64, references: [String: ObjectID], stamps: [String: Stamp], folders: [String]) {
            self.stamp = stamp
            self.readAt = readAt
            self.folders = folders
            contents = Contents(value: (references, stamps))
        }

        /// A folder whose references are read by `load` when first asked for: a snapshot kept in a cache file has
        /// thousands, and a run that finds the folder unchanged never looks at them.
        public init(stamp: Stamp, readAt: Int64, folders: [String],
                    load: @escaping @Sendable () -> (references: [String: ObjectID], stamps: [String: Stamp])) {
            self.stamp = stamp
            self.readAt = readAt
            self.folders = folders
            contents = Contents(load: load)
        }

        public static func == (lhs: Folder, rhs: Folder) -> Bool {
            guard lhs.stamp == rhs.stamp, lhs.readAt == rhs.readAt, lhs.folders == rhs.folders else { return false }
            return lhs.contents === rhs.contents || (lhs.references == rhs.references && lhs.stamps == rhs.stamps)
        }

        /// The references of a folder, loaded once (under a lock: snapshots are shared values).
        private final class Contents: @unchecked Sendable {
            private let lock = NSLock()
            private var loaded: (references: [String: ObjectID], stamps: [String: Stamp])?
            private let load: (@Sendable () -> (references: [String: ObjectID], stamps: [String: Stamp]))?

            init(value: (references: [String: ObjectID], stamps: [String: Stamp])) {
                loaded = value
                load = nil
            }

            init(load: @escaping @Sendable () -> (references: [String: ObjectID], stamps: [String: Stamp])) {
                self.load = load
            }

            var value: (references: [String: ObjectID], stamps: [String: Stamp]) {
                lock.lock()
                defer { lock.unlock() }
                if loaded == nil { loaded = load?() ?? ([:], [:]) }
                return loaded!
            }
        }

        /// Modified long enough before it was read that a later change must change its stamp.
        public var settled: Bool { Self.settled(stamp, at: readAt) }

        static func settled(_ stamp: Stamp, at time: Int64) -> Bool { time - stamp.seconds >= TagRefSnapshot.settling }
    }

    /// How recent a folder's modification may be for its stamp to be trusted next time.
    public static let settling: Int64 = 2

    /// `packed-refs`' stamp, nil when there is none.
    public var packed: Stamp?
    /// Folders by path below `refs/tags/` ("" is `refs/tags/` itself).
    public var folders: [String: Folder]

    public init(packed: Stamp?, folders: [String: Folder]) {
        self.packed = packed
        self.folders = folders
    }

    /// A snapshot of the repository whose references live in `commonDirectory`, and the short names of the loose
    /// references that appeared or moved since `previous`; the names are nil when there is no previous snapshot or
    /// the change cannot be told from the files. The snapshot is nil when a folder holds something other than
    /// plain references (it could not be trusted later).
    public static func take(commonDirectory: String, previous: TagRefSnapshot?) -> (snapshot: TagRefSnapshot?, changed: Set<String>?) {
        let root = commonDirectory.hasSuffix("/") ? commonDirectory : commonDirectory + "/"
        let now = Int64(Date().timeIntervalSince1970)
        var snapshot = TagRefSnapshot(packed: stamp(root + "packed-refs"), folders: [:])
        var changed: Set<String>? = previous.map { $0.packed == snapshot.packed ? [] : nil } ?? nil
        var pending = [""]
        while let path = pending.popLast() {
            guard let stamp = stamp(root + "refs/tags/" + path) else {
                if path.isEmpty { break }  // no refs/tags at all
                return (nil, nil)  // a folder went away between listing and reading
            }
            if let known = previous?.folders[path], known.settled, known.stamp == stamp {
                snapshot.folders[path] = known
                pending += known.folders
                continue
            }
            guard let folder = read(root + "refs/tags/", path, stamp: stamp, now: now, previous: previous?.folders[path]) else { return (nil, nil) }
            snapshot.folders[path] = folder
            pending += folder.folders
            if changed != nil {
                let before = previous?.folders[path]?.references ?? [:]
                // A loose reference that went away may uncover a packed one: that is not told from the files.
                if before.keys.contains(where: { folder.references[$0] == nil }) { changed = nil; continue }
                changed?.formUnion(folder.references.filter { before[$0.key] != $0.value }.keys)
            }
        }
        // A whole folder of loose references that went away is a loose reference gone.
        if changed != nil, let previous, previous.folders.contains(where: { snapshot.folders[$0.key] == nil && !$0.value.references.isEmpty }) {
            changed = nil
        }
        return (snapshot, changed)
    }

    /// Every tag reference the snapshot saw, loose over packed (`packed-refs` is read now), as
    /// `Repository.tagReferences` lists them.
    public func references(commonDirectory: String) -> [(name: String, object: ObjectID)] {
        var all = packed == nil ? [:] : Self.packedReferences(commonDirectory: commonDirectory, containing: [""])
        for folder in folders.values { all.merge(folder.references) { _, loose in loose } }
        return all.map { ($0.key, $0.value) }
    }

    /// The tag references in `packed-refs` whose line contains one of `needles`, by short name. Each needle is
    /// searched for with `memmem` over the whole file, so a few needles cost a few passes at memory speed.
    public static func packedReferences(commonDirectory: String, containing needles: [String]) -> [String: ObjectID] {
        let root = commonDirectory.hasSuffix("/") ? commonDirectory : commonDirectory + "/"
        guard let bytes = FileBytes.read(root + "packed-refs") else { return [:] }
        let prefix = Array("refs/tags/".utf8)
        var found: [String: ObjectID] = [:]
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            // "<40 hex> refs/tags/NAME" lines; peeled lines start with '^', comments with '#'.
            func line(around position: Int) -> Range<Int> {
                var start = position, end = position
                while start > 0 && buffer[start - 1] != UInt8(ascii: "\n") { start -= 1 }
                while end < buffer.count && buffer[end] != UInt8(ascii: "\n") { end += 1 }
                return start..<end
            }
            func take(_ range: Range<Int>) {
                guard range.count > 41 + prefix.count, buffer[range.lowerBound + 40] == UInt8(ascii: " ") else { return }
                let name = UnsafeBufferPointer(rebasing: buffer[(range.lowerBound + 41)..<range.upperBound])
                guard name.starts(with: prefix),
                      let id = ObjectID(hex: String(decoding: UnsafeBufferPointer(rebasing: buffer[range.lowerBound..<(range.lowerBound + 40)]), as: UTF8.self))
                else { return }
                found[String(decoding: UnsafeBufferPointer(rebasing: name[prefix.count...]), as: UTF8.self)] = id
            }
            for needle in needles {
                let pattern = Array(needle.utf8)
                guard !pattern.isEmpty else {
                    var start = 0
                    while start < buffer.count {
                        let range = line(around: start)
                        take(range)
                        start = range.upperBound + 1
                    }
                    continue
                }
                var offset = 0
                while offset < buffer.count, let hit = cairn_memmem(base + offset, buffer.count - offset, pattern, pattern.count) {
                    let range = line(around: base.distance(to: hit.assumingMemoryBound(to: UInt8.self)))
                    take(range)
                    offset = range.upperBound + 1
                }
            }
        }
        return found
    }

    static func stamp(_ path: String) -> Stamp? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Stamp(inode: UInt64(info.st_ino), size: Int64(info.st_size), seconds: Int64(info.st_mtim.tv_sec), nanoseconds: Int64(info.st_mtim.tv_nsec))
    }

    /// One folder's loose references and sub-folders; nil when it holds anything else (lock files aside). A file
    /// whose stamp is as `previous` recorded it, and was settled then, is not read again.
    private static func read(_ base: String, _ path: String, stamp: Stamp, now: Int64, previous: Folder?) -> Folder? {
        guard let directory = opendir(base + path) else { return nil }
        defer { closedir(directory) }
        let descriptor = dirfd(directory)
        var folders: [String] = []
        var references: [String: ObjectID] = [:]
        var stamps: [String: Stamp] = [:]
        while let entry = readdir(directory) {
            let found: Bool? = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let name = raw.bindMemory(to: CChar.self)
                let text = String(cString: name.baseAddress!)
                if text == "." || text == ".." || text.hasSuffix(".lock") { return true }
                let relative = path.isEmpty ? text : path + "/" + text
                var info = stat()
                guard fstatat(descriptor, name.baseAddress!, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    folders.append(relative)
                    return true
                case S_IFREG:
                    let file = Stamp(inode: UInt64(info.st_ino), size: Int64(info.st_size), seconds: Int64(info.st_mtim.tv_sec),
                                     nanoseconds: Int64(info.st_mtim.tv_nsec))
                    if let previous, previous.stamps[relative] == file, Folder.settled(file, at: previous.readAt),
                       let object = previous.references[relative] {
                        references[relative] = object
                    } else {
                        guard let object = loose(descriptor, name.baseAddress!) else { return nil }
                        references[relative] = object
                    }
                    stamps[relative] = file
                    return true
                default:
                    return nil
                }
            }
            guard found != nil else { return nil }
        }
        return Folder(stamp: stamp, readAt: now, references: references, stamps: stamps, folders: folders.sorted())
    }

    /// A loose reference file's object id: forty hex digits and a newline (a symbolic reference is not one).
    private static func loose(_ folder: Int32, _ name: UnsafePointer<CChar>) -> ObjectID? {
        let descriptor = openat(folder, name, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { bytes -> ObjectID? in
            let count = Glibc.read(descriptor, bytes.baseAddress, bytes.count)
            guard count == 41 || count == 40, count == 40 || bytes[40] == UInt8(ascii: "\n") else { return nil }
            return ObjectID(hex: String(decoding: bytes[0..<40], as: UTF8.self))
        }
    }
}
