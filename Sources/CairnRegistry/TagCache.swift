import CairnCache
import Foundation
import Git2

/// Annotated tag objects by id, in `.git/cairn/tags`: a tag object never changes, so reading 20,000 tags costs a
/// reference listing plus the objects not seen before. Apart from the validation cache because `show`, `history` and
/// planning need tags and nothing else, and because tags do not depend on the schemas.
public final class TagCache: Sendable {
    private let annotations: CacheStore<ObjectID, TagAnnotation>
    private let counter = Counter()

    /// An in-memory cache (tests, one-off runs).
    public convenience init() { self.init(url: nil) }

    /// The cache file of a repository, read on first use.
    public convenience init(gitDirectory: String) {
        self.init(url: URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/tags"))
    }

    private init(url: URL?) {
        annotations = CacheStore(log: CacheLog(url: url, format: "cairn-tags-1"), namespace: UInt8(ascii: "A"),
                                 key: { id, out in out.objectID(id) }, encode: TagAnnotation.encode, decode: TagAnnotation.decode)
    }

    public var hits: Int { counter.value }

    func annotation(_ id: ObjectID) -> TagAnnotation? {
        let annotation = annotations[id]
        if annotation != nil { counter.add() }
        return annotation
    }

    func store(_ annotation: TagAnnotation, for id: ObjectID) { annotations[id] = annotation }

    public func save() { annotations.log.save() }
}

/// A count shared by threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var value: Int { lock.withLock { count } }

    func add() { lock.withLock { count += 1 } }
}

/// What an annotated tag object says; immutable, so cached by the object's id.
struct TagAnnotation: Sendable {
    let target: ObjectID
    let tagger: Signature?
    let message: String

    @Sendable static func encode(_ annotation: TagAnnotation, _ out: inout CacheWriter) {
        out.objectID(annotation.target)
        if let tagger = annotation.tagger {
            out.byte(1)
            out.string(tagger.name)
            out.string(tagger.email)
            out.int(Int(tagger.time))
            out.int(Int(tagger.offsetMinutes))
        } else {
            out.byte(0)
        }
        out.string(annotation.message)
    }

    @Sendable static func decode(_ reader: inout CacheReader) throws -> TagAnnotation {
        let target = try reader.objectID()
        var tagger: Signature?
        switch try reader.byte() {
        case 0: break
        case 1:
            tagger = Signature(name: try reader.string(), email: try reader.string(), time: Int64(try reader.int()),
                               offsetMinutes: Int32(truncatingIfNeeded: try reader.int()))
        default: throw CacheReader.Corrupt()
        }
        return TagAnnotation(target: target, tagger: tagger, message: try reader.string())
    }
}
