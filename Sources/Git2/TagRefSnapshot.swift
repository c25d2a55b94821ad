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
            (self.inode, self.size, self.seconds, self.nanoseconds) = (inode, size, seconds, nanoseconds)
        }
    }

    /// What a folder was when read: its stamp, when it was read, its sub-folders.
    public struct FolderStamp: Sendable, Hashable {
        public var stamp: Stamp
        /// When it was read (seconds since 1970).
        public var readAt: Int64
        /// Sub-folders, by path below `refs/tags/`.
        public var folders: [String]

        public init(stamp: Stamp, readAt: Int64, folders: [String]) {
            self.stamp = stamp
            self.readAt = readAt
            self.folders = folders
        }

        /// Modified long enough before it was read that a later change must change its stamp.
        public var settled: Bool { TagRefSnapshot.settled(stamp, at: readAt) }
    }

    /// A folder's loose references by short name (`prompt/a@v1.0.0`), with each file's stamp: a folder read again
    /// reads only the files whose stamp changed.
    public struct Contents: Sendable, Equatable {
        public var references: [String: ObjectID]
        public var stamps: [String: Stamp]

        public init(references: [String: ObjectID], stamps: [String: Stamp]) {
            self.references = references
            self.stamps = stamps
        }
    }

    /// What an earlier snapshot recorded: every folder's stamp, and (asked for only when a folder changed) its contents.
    public struct Previous {
        public var packed: Stamp?
        public var folders: [String: FolderStamp]
        public var contents: (String) -> Contents?

        public init(packed: Stamp?, folders: [String: FolderStamp], contents: @escaping (String) -> Contents?) {
            self.packed = packed
            self.folders = folders
            self.contents = contents
        }
    }

    /// How recent a folder's modification may be for its stamp to be trusted next time.
    public static let settling: Int64 = 2

    static func settled(_ stamp: Stamp, at time: Int64) -> Bool { time - stamp.seconds >= settling }

    /// `packed-refs`' stamp, nil when there is none.
    public var packed: Stamp?
    /// Every folder's stamp, by path below `refs/tags/` ("" is `refs/tags/` itself).
    public var folders: [String: FolderStamp]
    /// The contents of the folders read by this snapshot; the others are as the previous snapshot recorded them.
    public var read: [String: Contents]

    public init(packed: Stamp?, folders: [String: FolderStamp], read: [String: Contents]) {
        self.packed = packed
        self.folders = folders
        self.read = read
    }

    /// A snapshot of the repository whose references live in `commonDirectory`, and the short names of the loose
    /// references that appeared or moved since `previous`; the names are nil when there is no previous snapshot or
    /// the change cannot be told from the files. A folder found settled and with its recorded stamp is not read. The
    /// snapshot is nil when a folder holds something other than plain references (it could not be trusted later).
    public static func take(commonDirectory: String, previous: Previous?) -> (snapshot: TagRefSnapshot?, changed: Set<String>?) {
        let root = commonDirectory.hasSuffix("/") ? commonDirectory : commonDirectory + "/"
        let now = Int64(Date().timeIntervalSince1970)
        var snapshot = TagRefSnapshot(packed: stamp(root + "packed-refs"), folders: [:], read: [:])
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
            let before = previous?.folders[path] == nil ? nil : previous?.contents(path)
            if previous?.folders[path] != nil, before == nil { changed = nil }  // what it held is not known
            let reuse = before.flatMap { before in previous?.folders[path].map { (before, $0.readAt) } }
            guard let (folder, contents) = read(root + "refs/tags/", path, stamp: stamp, now: now, previous: reuse) else { return (nil, nil) }
            snapshot.folders[path] = folder
            snapshot.read[path] = contents
            pending += folder.folders
            if changed != nil {
                let references = before?.references ?? [:]
                // A loose reference that went away may uncover a packed one: that is not told from the files.
                if references.keys.contains(where: { contents.references[$0] == nil }) { changed = nil; continue }
                changed?.formUnion(contents.references.filter { references[$0.key] != $0.value }.keys)
            }
        }
        // A whole folder that went away may have held loose references: a reference gone.
        if changed != nil, let previous, previous.folders.keys.contains(where: { snapshot.folders[$0] == nil }) {
            changed = nil
        }
        return (snapshot, changed)
    }

    /// This snapshot as the previous one of the next; `kept` gives the contents of the folders it did not read.
    public func asPrevious(kept: @escaping (String) -> Contents? = { _ in nil }) -> Previous {
        let read = self.read
        return Previous(packed: packed, folders: folders, contents: { read[$0] ?? kept($0) })
    }

    /// Every tag reference the snapshot saw, loose over packed (`packed-refs` is read now), as
    /// `Repository.tagReferences` lists them; `kept` gives the contents of the folders this snapshot did not read.
    /// Nil when one of those is not known.
    public func references(commonDirectory: String, kept: (String) -> Contents?) -> [(name: String, object: ObjectID)]? {
        var all = packed == nil ? [:] : Self.packedReferences(commonDirectory: commonDirectory, containing: [""])
        for path in folders.keys {
            guard let contents = read[path] ?? kept(path) else { return nil }
            all.merge(contents.references) { _, loose in loose }
        }
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
    private static func read(_ base: String, _ path: String, stamp: Stamp, now: Int64, previous: (contents: Contents, readAt: Int64)?) -> (FolderStamp, Contents)? {
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
                    if let previous, previous.contents.stamps[relative] == file, settled(file, at: previous.readAt),
                       let object = previous.contents.references[relative] {
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
        return (FolderStamp(stamp: stamp, readAt: now, folders: folders.sorted()), Contents(references: references, stamps: stamps))
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
