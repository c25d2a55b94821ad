import CairnManifest
import CairnModel
import Git2

extension RegistryReader {
    /// The typed model of one artifact version (see `document(of:at:)` for where it is read from).
    public func artifact(_ version: ArtifactVersion, at commit: ObjectID) throws -> Artifact {
        let value = try document(of: version, at: commit)
        do {
            guard let kind = version.id.kind else { throw CairnError.undecodable(version) }
            return try ArtifactDecoder.decode(value, kind: kind)
        } catch {
            throw CairnError.undecodable(version)
        }
    }

    /// The file of exactly `version` in the registry at `commit` (at its registration commit: the version as
    /// registered), nil when it is not there.
    public func file(of version: ArtifactVersion, at commit: ObjectID) throws -> RegistrySnapshot.Artifact? {
        try artifacts(at: commit).first { $0.summary.versioned == version }
    }

    /// A registered, live version as registered: its registration tag, its document (read at that tag's commit) and
    /// its content digest; an error saying why when it is not registered and live.
    public func registered(_ version: ArtifactVersion) throws -> (registration: TagEvent, document: JSONValue, digest: String) {
        let registrations = Registrations(try tagEvents())
        guard let registration = registrations.live[version] else { throw registrations.whyNotLive(version) }
        let document = try document(of: version, at: registration.commit)
        return (registration, document, ContentDigest.of(document))
    }

    /// The parsed document of one artifact version: from the tree at `commit`, or else at the commit its
    /// registration tag points to.
    public func document(of version: ArtifactVersion, at commit: ObjectID) throws -> JSONValue {
        func find(at commit: ObjectID) throws -> (found: RegistrySnapshot.Artifact?, all: [RegistrySnapshot.Artifact]) {
            let artifacts = try artifacts(at: commit)
            let found = artifacts.first { $0.summary.id == version.id && $0.summary.version.hasSamePrecedence(as: version.version) }
            return (found, artifacts)
        }
        let here = try find(at: commit)
        if let artifact = here.found { return try parse(blob: artifact.blob, path: artifact.path) }
        if let tag = Registrations(try tagEvents()).live[version], tag.commit != commit,
           let artifact = try find(at: tag.commit).found {
            return try parse(blob: artifact.blob, path: artifact.path)
        }
        let known = here.all.filter { $0.summary.id == version.id }.map { $0.summary.version.description }
        throw CairnError.notInRegistry(version, commit: commit.short, versionsHere: known, checkedTags: true)
    }

    /// The parsed document in `blob` (read from `path`, which errors name).
    public func document(blob: ObjectID, path: String) throws -> JSONValue {
        try parse(blob: blob, path: path)
    }

    private func parse(blob: ObjectID, path: String) throws -> JSONValue {
        let bytes = try location.repository.blob(blob)
        do {
            return try ParsedManifest.load(bytes, isConfig: false, schemas: analyzer.schemas).value
        } catch {
            throw CairnError.unreadableFile(path: path, line: error.mark.line, column: error.mark.column, message: error.message)
        }
    }
}
