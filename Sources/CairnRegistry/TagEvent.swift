import CairnModel
import Git2

/// A cairn/GTO tag as the resolution reads it: what it says, which commit it points at, who wrote it and when.
public struct TagEvent: Sendable, Hashable {
    public let tag: TagName
    /// The full tag name, e.g. `prompt/support-triage#production#7`.
    public let name: String
    /// The commit the tag points at.
    public let commit: ObjectID
    public let tagger: Signature?
    public let message: String

    public init(tag: TagName, name: String, commit: ObjectID, tagger: Signature?, message: String) {
        self.tag = tag
        self.name = name
        self.commit = commit
        self.tagger = tagger
        self.message = message
    }

    /// Seconds since 1970 of the tagger's signature (0 when there is none).
    public var time: Int64 { tagger?.time ?? 0 }

    /// The cairn/GTO tags of a repository: annotated tags whose names parse; all others are ignored.
    public static func read(from repository: Repository) throws -> [TagEvent] {
        try repository.tags().compactMap { record in
            guard let annotation = record.annotation, let tag = TagName(record.name) else { return nil }
            return TagEvent(tag: tag, name: record.name, commit: record.target, tagger: annotation.tagger, message: annotation.message)
        }
    }
}
