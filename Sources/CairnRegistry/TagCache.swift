import Foundation
import Git2

/// Annotated tag objects by id, kept in `.git/cairn/tag-cache`: a tag object never changes, so reading 20,000 tags
/// costs a reference listing plus the objects not seen before. Apart from the validation cache because `show`,
/// `history` and planning need tags and nothing else, and because tags do not depend on the schemas.
///
/// The file is a log of records (appended to by each run that read new tags); a torn or corrupt tail is ignored,
/// and a file holding many more tags than the repository has is rewritten with the ones in use.
public final class TagCache: @unchecked Sendable {
    static let magic = "cairn-tag-cache-2"
    private let lock = NSLock()
    private var tags: [ObjectID: TagAnnotation] = [:]
    private var used = Set<ObjectID>()
    private var added: [ObjectID] = []
    /// Records in the file as loaded; nil when there was no usable file (it is then written whole).
    private var recordsOnDisk: Int?
    private var loaded: Bool
    let url: URL?

    public private(set) var hits = 0

    /// An in-memory cache (tests, one-off runs).
    public init() {
        url = nil
        loaded = true
    }

    /// The cache file of a repository, read on first use.
    public init(gitDirectory: String) {
        url = URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/tag-cache")
        loaded = false
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        if !loaded {
            loaded = true
            if let url, let bytes = CacheFile.read(url) {
                var reader = CacheReader(bytes: bytes)
                if let (tags, records, complete) = try? reader.readTags(magic: Self.magic) {
                    self.tags = tags
                    recordsOnDisk = complete ? records : nil
                }
            }
        }
        return body()
    }

    func annotation(_ id: ObjectID) -> TagAnnotation? {
        locked {
            guard let annotation = tags[id] else { return nil }
            used.insert(id)
            hits += 1
            return annotation
        }
    }

    func store(_ annotation: TagAnnotation, for id: ObjectID) {
        locked {
            tags[id] = annotation
            used.insert(id)
            added.append(id)
        }
    }

    /// Appends the tags read by this run; rewrites the file whole when it is missing, damaged, or mostly tags that
    /// no longer exist. A failure to write only costs the next run time.
    public func save() {
        locked {
            guard let url, !added.isEmpty || (recordsOnDisk ?? 0) > 2 * used.count + 1000 else { return }
            var writer = CacheWriter()
            for id in added { writer.tag(id, tags[id]!) }
            if let records = recordsOnDisk, records + added.count <= 2 * used.count + 1000, CacheFile.append(writer.bytes, to: url) {
                recordsOnDisk = records + added.count
            } else {
                tags = tags.filter { used.contains($0.key) }
                writer = CacheWriter()
                writer.string(Self.magic)
                for (id, annotation) in tags { writer.tag(id, annotation) }
                CacheFile.replace(url, with: writer.bytes)
                recordsOnDisk = tags.count
            }
            added = []
        }
    }
}

/// What an annotated tag object says; immutable, so cached by the object's id.
struct TagAnnotation: Sendable {
    let target: ObjectID
    let tagger: Signature?
    let message: String
}

extension CacheWriter {
    mutating func tag(_ id: ObjectID, _ annotation: TagAnnotation) {
        record(UInt8(ascii: "A")) { out in
            out.objectID(id)
            out.objectID(annotation.target)
            if let tagger = annotation.tagger {
                out.int(1)
                out.string(tagger.name)
                out.string(tagger.email)
                out.int(Int(tagger.time))
                out.int(Int(tagger.offsetMinutes))
            } else {
                out.int(0)
            }
            out.string(annotation.message)
        }
    }
}

extension CacheReader {
    /// Every tag record (`records` says whether the file was read to its end).
    mutating func readTags(magic: String) throws -> (tags: [ObjectID: TagAnnotation], records: Int, complete: Bool) {
        guard try string() == magic else { throw Corrupt() }
        var tags: [ObjectID: TagAnnotation] = [:]
        let (count, complete) = records { kind, reader in
            guard kind == UInt8(ascii: "A") else { return false }
            let id = try reader.objectID(), target = try reader.objectID()
            var tagger: Signature?
            if try reader.int() == 1 {
                tagger = Signature(name: try reader.string(), email: try reader.string(), time: Int64(try reader.int()),
                                   offsetMinutes: Int32(truncatingIfNeeded: try reader.int()))
            }
            tags[id] = TagAnnotation(target: target, tagger: tagger, message: try reader.string())
            return true
        }
        return (tags, count, complete)
    }
}
