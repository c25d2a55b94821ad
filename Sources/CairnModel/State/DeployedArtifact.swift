/// One artifact version as the store says it is deployed in an environment.
public struct DeployedArtifact: Sendable, Hashable {
    public var version: ArtifactVersion
    /// The content digest cairn recorded when it wrote the row (`sha256` hex of `content`).
    public var digest: String
    /// The canonical JSON of the artifact document.
    public var content: String
    /// The commit the content was read at (the registration commit) and the tag that put it there.
    public var commit: String
    public var tag: String
    public var deployedBy: String
    /// Seconds since 1970.
    public var deployedAt: Int64

    public init(version: ArtifactVersion, digest: String, content: String, commit: String, tag: String, deployedBy: String, deployedAt: Int64) {
        self.version = version
        self.digest = digest
        self.content = content
        self.commit = commit
        self.tag = tag
        self.deployedBy = deployedBy
        self.deployedAt = deployedAt
    }

    public var id: ArtifactID { version.id }
}

/// What git declares for one artifact in an environment.
public struct DeclaredArtifact: Sendable, Hashable {
    public var version: ArtifactVersion
    public var digest: String
    /// The canonical JSON of the document; empty until the planner needs it (creates and updates only).
    public var content: String
    /// The registration commit (where the content was read).
    public var commit: String
    /// The assignment tag, or the artifact that pulled this one in by reference.
    public var tag: String

    public init(version: ArtifactVersion, digest: String, content: String, commit: String, tag: String) {
        self.version = version
        self.digest = digest
        self.content = content
        self.commit = commit
        self.tag = tag
    }

    public var id: ArtifactID { version.id }
}
