import CairnModel
import CairnRegistry
import Crypto
import Foundation
import Git2

/// The declared state last resolved for an environment, kept in `.git/cairn/declared-HASH` and reused while
/// everything it was resolved from is unchanged: the tag references (names and tag objects), the planned
/// commit, the environment's protection, and the schemas. When only tags changed, it is brought up to date for the
/// artifacts whose tags changed (their digests are kept with it); otherwise it is resolved again. The file is only
/// ever a shortcut.
struct DeclaredCache {
    private static let magic = "cairn-declared-cache-3"
    let url: URL
    /// Everything the state was resolved from.
    let key: [UInt8]
    /// The same without the tag references and the commit (which only says where to look for files first): a state
    /// with these settings can be brought up to date artifact by artifact (`DeclaredState.Walker.incremental`).
    let settings: [UInt8]

    init(gitDirectory: String, environment: String, isProtected: Bool, commit: ObjectID,
         references: [(name: String, object: ObjectID)], schemaFingerprint: String) {
        let name = SHA256.hash(data: Array(environment.utf8)).prefix(8).hexString
        url = URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/declared-\(name)")
        var header = CacheWriter()
        header.string(Self.magic)
        header.string(environment)
        header.int(isProtected ? 1 : 0)
        header.string(schemaFingerprint)
        settings = Array(SHA256.hash(data: header.bytes))
        var hasher = SHA256()
        hasher.update(data: header.bytes)
        hasher.update(data: commit.bytes)
        hasher.update(data: Array(String(references.count).utf8))
        // The listing order is a function of the set of references, so hashing it in order identifies the set.
        for reference in references {
            hasher.update(data: Array(reference.name.utf8))
            hasher.update(data: [0])
            hasher.update(data: reference.object.bytes)
        }
        key = Array(hasher.finalize())
    }

    struct Loaded {
        var state: DeclaredState
        /// Made from the same inputs: usable as it is.
        var isCurrent: Bool
        /// Made with the same environment settings and schemas (only tags or the commit differ).
        var sameSettings: Bool
        /// Each artifact's tag digest when the state was made; read only when the state is not current.
        var groups: [ArtifactID: [UInt8]]?
    }

    /// The cached state when the file exists and is intact.
    func load(environment: String) -> Loaded? {
        guard let bytes = CacheFile.read(url) else { return nil }
        var reader = CacheReader(bytes: bytes)
        do {
            guard try reader.string() == Self.magic else { return nil }
            let isCurrent = try reader.raw(32) == key
            let sameSettings = try reader.raw(32) == settings
            var state = DeclaredState(environment: environment, artifacts: [:], problems: [])
            let count = try reader.count()
            state.artifacts.reserveCapacity(count)
            state.files.reserveCapacity(count)
            for _ in 0..<count {
                let id = try reader.artifactID()
                let version = ArtifactVersion(id: id, version: try reader.semver())
                let digest = try reader.string()
                state.artifacts[id] = DeclaredArtifact(version: version, digest: digest, content: "",
                                                       commit: try reader.string(), tag: try reader.string())
                var file = DeclaredState.LocatedFile(blob: try reader.objectID(), path: try reader.string(), digest: digest, references: [])
                for _ in 0..<(try reader.count()) { file.references.append(try reader.reference()) }
                state.files[id] = file
            }
            for _ in 0..<(try reader.count()) { state.problems.append(try reader.string()) }
            var loaded = Loaded(state: state, isCurrent: isCurrent, sameSettings: sameSettings, groups: nil)
            let groupCount = try reader.count()
            if !isCurrent {
                var groups: [ArtifactID: [UInt8]] = [:]
                groups.reserveCapacity(groupCount)
                for _ in 0..<groupCount { groups[try reader.artifactID()] = try reader.raw(16) }
                guard reader.isAtEnd else { return nil }
                loaded.groups = groups
            }
            return loaded
        } catch {
            return nil
        }
    }

    /// Writes `state` (before any content is loaded) and the tag digests it was made from, atomically; a failure to
    /// write only costs the next run time.
    func save(_ state: DeclaredState, groups: DeclaredState.TagGroups) {
        var writer = CacheWriter()
        writer.string(Self.magic)
        writer.raw(key)
        writer.raw(settings)
        writer.int(state.artifacts.count)
        for (id, artifact) in state.artifacts {
            guard let file = state.files[id] else { return }
            writer.artifactID(id)
            writer.semver(artifact.version.version)
            writer.string(artifact.digest)
            writer.string(artifact.commit)
            writer.string(artifact.tag)
            writer.objectID(file.blob)
            writer.string(file.path)
            writer.int(file.references.count)
            for site in file.references { writer.reference(field: site.field, text: site.text, site.reference) }
        }
        writer.int(state.problems.count)
        for problem in state.problems { writer.string(problem) }
        writer.int(groups.digests.count)
        for (id, digest) in groups.digests {
            writer.artifactID(id)
            writer.raw(digest)
        }
        CacheFile.replace(url, with: writer.bytes)
    }
}
