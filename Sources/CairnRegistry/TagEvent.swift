import CairnModel
import Git2

/// A cairn/GTO tag as the resolution reads it: what it says, which commit it points at, who wrote it and when.
///
/// A class, immutable: a repository has thousands of these, and they are sorted, grouped and passed around by
/// reference without copying their strings.
public final class TagEvent: Sendable, Hashable {
    public let tag: TagName
    /// The full tag name, e.g. `prompt/support-triage#production#7`.
    public let name: String
    /// The commit the tag points at.
    public let commit: ObjectID
    public let tagger: Signature?
    public let message: String
    /// The tag object's id (what a signature covers); nil for a tag not written yet.
    public let object: ObjectID?

    public init(tag: TagName, name: String, commit: ObjectID, tagger: Signature?, message: String, object: ObjectID? = nil) {
        self.tag = tag
        self.name = name
        self.commit = commit
        self.tagger = tagger
        self.message = message
        self.object = object
    }

    public static func == (lhs: TagEvent, rhs: TagEvent) -> Bool {
        lhs === rhs || (lhs.name == rhs.name && lhs.tag == rhs.tag && lhs.commit == rhs.commit && lhs.tagger == rhs.tagger && lhs.message == rhs.message)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(commit)
    }

    /// Seconds since 1970 of the tagger's signature (0 when there is none).
    public var time: Int64 { tagger?.time ?? 0 }

    /// GTO's order of an artifact's tags: by counter, then tagger time, then name.
    public func precedes(_ other: TagEvent) -> Bool {
        (tag.counter, time, name) < (other.tag.counter, other.time, other.name)
    }

    /// The cairn/GTO tags of a repository: annotated tags whose names parse; all others are ignored.
    public static func read(from repository: Repository) throws -> [TagEvent] {
        try read(try repository.tagReferences(), from: repository)
    }

    /// The cairn/GTO tags among `references` (as `Repository.tagReferences` lists them).
    public static func read(_ references: [(name: String, object: ObjectID)], from repository: Repository) throws -> [TagEvent] {
        try read(references) { try TagAnnotation.read($0, from: repository) }
    }

    /// The cairn/GTO tags among `references`, each tag object's content given by `annotation` (nil: not annotated).
    static func read(_ references: [(name: String, object: ObjectID)], annotation: (ObjectID) throws -> TagAnnotation?) throws -> [TagEvent] {
        try references.compactMap { reference in
            guard let tag = TagName(reference.name) else {
                if let problem = TagName.problem(reference.name) { Warnings.emit(problem) }
                return nil
            }
            guard let annotation = try annotation(reference.object) else { return nil }
            return TagEvent(tag: tag, name: reference.name, commit: annotation.target, tagger: annotation.tagger, message: annotation.message,
                            object: reference.object)
        }
    }
}

/// What an annotated tag object says; immutable, so it may be kept by the object's id.
struct TagAnnotation: Sendable {
    let target: ObjectID
    let tagger: Signature?
    let message: String

    /// The tag object `id` of `repository`, nil when it is not an annotated tag.
    static func read(_ id: ObjectID, from repository: Repository) throws -> TagAnnotation? {
        try repository.annotatedTag(id).map { TagAnnotation(target: $0.target, tagger: $0.annotation.tagger, message: $0.annotation.message) }
    }
}
