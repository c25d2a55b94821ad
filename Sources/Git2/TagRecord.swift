/// A tag under `refs/tags/`: annotated ones carry their object, target, tagger and message.
public struct TagRecord: Sendable, Hashable {
    /// The short name, without `refs/tags/`.
    public let name: String
    /// The object the reference points at: the tag object for annotated tags, else the target itself.
    public let referenceTarget: ObjectID
    /// The tagged object (for an annotated tag, what the tag object points at).
    public let target: ObjectID
    /// Nil for a lightweight tag.
    public let annotation: Annotation?

    /// What an annotated tag object says about itself.
    public struct Annotation: Sendable, Hashable {
        public let tagger: Signature?
        public let message: String
    }

    public init(name: String, referenceTarget: ObjectID, target: ObjectID, annotation: Annotation?) {
        self.name = name
        self.referenceTarget = referenceTarget
        self.target = target
        self.annotation = annotation
    }
}
