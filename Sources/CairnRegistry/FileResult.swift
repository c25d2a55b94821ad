import CairnManifest
import CairnModel

/// Everything cairn learns from one file on its own. It depends only on the file's bytes (and cairn's schemas),
/// so it is cached by blob id and never computed twice for the same content.
public struct FileResult: Sendable, Hashable {
    public var findings: [ParsedManifest.Finding]
    /// Set when the file is an artifact whose kind, name and version could be read.
    public var artifact: ArtifactSummary?

    public init(findings: [ParsedManifest.Finding], artifact: ArtifactSummary?) {
        self.findings = findings
        self.artifact = artifact
    }
}

/// What the cross-file rules need to know of one artifact file.
public struct ArtifactSummary: Sendable, Hashable {
    public var id: ArtifactID
    public var version: SemVer
    /// SHA-256 of the canonical JSON form.
    public var digest: String
    public var mark: SourceMark
    public var references: [ReferenceSite]
    /// Environments a Deployment names (empty for other kinds).
    public var environments: [NamedSite]

    public var versioned: ArtifactVersion { ArtifactVersion(id: id, version: version) }
}

/// A reference written in a file: where, what text, and which kinds may stand there.
public struct ReferenceSite: Sendable, Hashable {
    public var field: String
    public var text: String
    /// The reference, parsed once when the file is analysed (and cached in parsed form).
    public var reference: ArtifactReference
    public var mark: SourceMark
    public var allowedKinds: [ArtifactKind]
}

/// A name written in a file (an environment a Deployment may go to).
public struct NamedSite: Sendable, Hashable {
    public var name: String
    public var mark: SourceMark
}
