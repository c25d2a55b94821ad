import CairnModel
import CairnRegistry
import Crypto
import Foundation
import Git2

/// The declared state last resolved for an environment, kept in `.git/cairn/declared-HASH` and reused while
/// everything it was resolved from is unchanged: the tag references (names and tag objects), the planned
/// commit, the environment's protection, and the schemas. Any difference is a miss, and the state is
/// resolved again; the file is only ever a shortcut.
struct DeclaredCache {
    private static let magic = "cairn-declared-cache-2"
    let url: URL
    let key: [UInt8]

    init(gitDirectory: String, environment: String, isProtected: Bool, commit: ObjectID,
         references: [(name: String, object: ObjectID)], schemaFingerprint: String) {
        let name = SHA256.hash(data: Array(environment.utf8)).prefix(8).hexString
        url = URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/declared-\(name)")
        var hasher = SHA256()
        var header = CacheWriter()
        header.string(Self.magic)
        header.string(environment)
        header.int(isProtected ? 1 : 0)
        header.objectID(commit)
        header.string(schemaFingerprint)
        header.int(references.count)
        hasher.update(data: header.bytes)
        // The listing order is a function of the set of references, so hashing it in order identifies the set.
        for reference in references {
            hasher.update(data: Array(reference.name.utf8))
            hasher.update(data: [0])
            hasher.update(data: reference.object.bytes)
        }
        key = Array(hasher.finalize())
    }

    /// The cached state when the file exists and is intact; `isCurrent` says whether it was made from the same
    /// inputs (otherwise only the files it located are worth reusing).
    func load(environment: String) -> (state: DeclaredState, isCurrent: Bool)? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        var reader = CacheReader(bytes: [UInt8](data))
        do {
            guard try reader.string() == Self.magic else { return nil }
            let isCurrent = try reader.raw(32) == key
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
                for _ in 0..<(try reader.count()) {
                    file.references.append((try reader.string(), try reader.string(),
                                            ArtifactReference(id: try reader.artifactID(), requirement: try reader.requirement())))
                }
                state.files[id] = file
            }
            for _ in 0..<(try reader.count()) { state.problems.append(try reader.string()) }
            return reader.isAtEnd ? (state, isCurrent) : nil
        } catch {
            return nil
        }
    }

    /// Writes `state` (before any content is loaded) atomically; a failure to write only costs the next run time.
    func save(_ state: DeclaredState) {
        var writer = CacheWriter()
        writer.string(Self.magic)
        writer.raw(key)
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
            for site in file.references {
                writer.string(site.field)
                writer.string(site.text)
                writer.artifactID(site.reference.id)
                writer.requirement(site.reference.requirement)
            }
        }
        writer.int(state.problems.count)
        for problem in state.problems { writer.string(problem) }
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data(writer.bytes).write(to: url, options: .atomic)
    }
}
