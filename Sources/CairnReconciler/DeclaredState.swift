import CairnManifest
import CairnModel
import CairnRegistry
import Foundation
import Git2

/// What git declares for one environment: every assigned artifact at the version its tags name, read at its
/// registration commit, plus the transitive closure of what those artifacts reference.
///
/// Content is loaded lazily: planning compares digests (cached per blob), and only artifacts that will be
/// written are parsed (`load`).
public struct DeclaredState: Sendable {
    public var environment: String
    /// Versions, digests and provenance; `content` is empty until `load`.
    public var artifacts: [ArtifactID: DeclaredArtifact]
    /// Parsed documents of loaded artifacts, for policies (compliance, gates).
    public var documents: [ArtifactID: JSONValue] = [:]
    /// Tags or references that could not be honoured; a plan with problems does not apply.
    public var problems: [String]
    /// Where each declared artifact's file is, and what it references.
    var files: [ArtifactID: LocatedFile] = [:]

    /// A version's file at its registration commit: where it is, its digest, what it references. Immutable for a
    /// (version, registration commit) pair, so a later resolution reuses it without reading git.
    struct LocatedFile: Sendable {
        var blob: ObjectID
        var path: String
        var digest: String
        var references: [(field: String, text: String, reference: ArtifactReference)]
    }

    /// Reads the declared state of `environment` from the repository's tags; `commit` is the ref being planned,
    /// whose tree is the first place a version's file is looked for (then checked at the registration commit).
    /// The result is cached in the git directory under a key of everything it depends on (`DeclaredCache`); when the
    /// key changed, the files the cached state located are reused and only new versions are looked up in git.
    public static func read(environment: String, reader: RegistryReader, isProtected: Bool, commit: ObjectID) throws -> DeclaredState {
        let repository = reader.location.repository
        let references = try repository.tagReferences()
        let cache = DeclaredCache(gitDirectory: repository.gitDirectory, environment: environment, isProtected: isProtected,
                                  commit: commit, references: references, schemaFingerprint: reader.analyzer.schemas.fingerprint)
        let cached = cache.load(environment: environment)
        if let cached, cached.isCurrent { return cached.state }
        var memo: [MemoKey: LocatedFile] = [:]
        for (id, file) in cached?.state.files ?? [:] {
            if let artifact = cached?.state.artifacts[id], let commit = ObjectID(hex: artifact.commit) {
                memo[MemoKey(version: artifact.version, commit: commit)] = file
            }
        }
        let state = try resolve(environment: environment, reader: reader, isProtected: isProtected, commit: commit,
                                events: try reader.tagEvents(references), memo: memo)
        cache.save(state)
        return state
    }

    /// Why a version is in the closure: its own assignment tag, or a dependent (named only when recorded, as most
    /// references lead to artifacts already walked).
    private enum Source {
        case tag(String)
        case requiredBy(ArtifactVersion)

        var text: String {
            switch self {
            case .tag(let name): name
            case .requiredBy(let version): "required by \(version)"
            }
        }
    }

    private struct MemoKey: Hashable {
        let version: ArtifactVersion
        let commit: ObjectID
    }

    private static func resolve(environment: String, reader: RegistryReader, isProtected: Bool, commit: ObjectID,
                                events: [TagEvent], memo: [MemoKey: LocatedFile]) throws -> DeclaredState {
        let repository = reader.location.repository
        let registrations = Registrations(events)
        let (assignments, assignmentProblems) = EnvironmentAssignments.resolve(events, environment: environment, registrations: registrations)
        let holds = Holds(events)
        var problems = assignmentProblems.map(\.description)

        // A version's file is found in the planned tree and confirmed at the registration commit by path (cheap);
        // only when that fails is the registration commit's whole tree indexed.
        func index(_ commit: ObjectID) throws -> [ArtifactVersion: RegistrySnapshot.Artifact] {
            Dictionary(try reader.artifacts(at: commit).map { ($0.summary.versioned, $0) }, uniquingKeysWith: { first, _ in first })
        }
        var planned: [ArtifactVersion: RegistrySnapshot.Artifact]?
        var indexes: [ObjectID: [ArtifactVersion: RegistrySnapshot.Artifact]] = [:]
        var trees: [ObjectID: ObjectID] = [:]
        // Where earlier versions of each artifact were found: a new version is usually at the same path.
        var hints: [ArtifactID: Set<String>] = [:]
        for (key, file) in memo { hints[key.version.id, default: []].insert(file.path) }
        func locate(_ version: ArtifactVersion, at registration: ObjectID) throws -> RegistrySnapshot.Artifact? {
            for path in hints[version.id] ?? [] {
                if let blob = try repository.blobID(commit: registration, path: path),
                   let summary = try reader.fileResult(blob: blob).artifact, summary.versioned == version {
                    return RegistrySnapshot.Artifact(path: path, blob: blob, summary: summary)
                }
            }
            if planned == nil { planned = try index(commit) }
            if let candidate = planned![version] {
                if trees[registration] == nil { trees[registration] = try repository.commit(registration).tree }
                if try repository.blobID(tree: trees[registration]!, path: candidate.path) == candidate.blob { return candidate }
            }
            if indexes[registration] == nil { indexes[registration] = try index(registration) }
            return indexes[registration]?[version]
        }
        func file(_ version: ArtifactVersion, at registration: ObjectID) throws -> LocatedFile? {
            if let known = memo[MemoKey(version: version, commit: registration)] { return known }
            guard let found = try locate(version, at: registration) else { return nil }
            return LocatedFile(blob: found.blob, path: found.path, digest: found.summary.digest,
                               references: found.summary.references.map { ($0.field, $0.text, $0.reference) })
        }

        var state = DeclaredState(environment: environment, artifacts: [:], problems: [])
        // Direct assignments first, so that a reference conflicting with one is the reference reported; in id order,
        // so that which dependent an artifact is recorded as "required by" does not depend on dictionary order.
        var queue: [(ArtifactVersion, TagEvent, Source)] = assignments.sorted { $0.key < $1.key }.map {
            ($0.value.version, $0.value.registration, .tag($0.value.tag.name))
        }
        var next = 0
        while next < queue.count {
            let (version, registration, source) = queue[next]
            next += 1
            if let existing = state.artifacts[version.id] {
                if existing.version != version {
                    problems.append("\(source.text) needs \(version), but \(existing.version) is declared (\(existing.tag))")
                }
                continue
            }
            guard let found = try file(version, at: registration.commit) else {
                problems.append("\(registration.name) points at \(registration.commit.short), where \(version) is not in the registry")
                continue
            }
            state.artifacts[version.id] = DeclaredArtifact(version: version, digest: found.digest, content: "",
                                                           commit: registration.commit.hex, tag: source.text)
            state.files[version.id] = found
            for site in found.references {
                let reference = site.reference
                if isProtected && !reference.requirement.isExact {
                    problems.append("\(version) \(site.field): '\(site.text)' is a range; '\(environment)' is protected and accepts exact pins only")
                    continue
                }
                // A range takes the version the environment is assigned directly when that one fits; otherwise the
                // newest registered version that fits and is not on hold there.
                let candidates = (registrations.liveVersions[reference.id] ?? []).filter {
                    reference.requirement.accepts($0.version) && holds.hold(on: $0, in: environment) == nil
                }
                let assigned = assignments[reference.id].map(\.version).flatMap { reference.requirement.accepts($0.version) ? $0 : nil }
                guard let target = assigned ?? candidates.max(), let tag = registrations.live[target] else {
                    problems.append("\(version) \(site.field): '\(site.text)' is not a registered version; register \(reference.id) first")
                    continue
                }
                queue.append((target, tag, .requiredBy(version)))
            }
        }
        state.problems = problems.sorted()
        return state
    }

    /// Parses the declared content of `ids` (the artifacts a plan writes), on every core; a file that does not
    /// validate is a problem.
    public mutating func load(_ ids: [ArtifactID], reader: RegistryReader) throws {
        let wanted = ids.filter { documents[$0] == nil && files[$0] != nil && artifacts[$0] != nil }
        let inputs = try wanted.map { try reader.location.repository.blob(files[$0]!.blob) }
        let schemas = reader.analyzer.schemas
        var parsed = [ParsedManifest?](repeating: nil, count: inputs.count)
        parsed.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: max(1, min(inputs.count, ProcessInfo.processInfo.activeProcessorCount * 4))) { chunk in
                let stride = max(1, min(inputs.count, ProcessInfo.processInfo.activeProcessorCount * 4))
                var index = chunk
                while index < inputs.count {
                    output[index] = try? ParsedManifest.load(inputs[index], isConfig: false, schemas: schemas)
                    index += stride
                }
            }
        }
        for (id, result) in zip(wanted, parsed) {
            var artifact = artifacts[id]!
            guard let result, result.findings.isEmpty else {
                problems.append("\(artifact.version) at \(artifact.commit.prefix(7)) (\(files[id]!.path)) does not validate; run 'cairn validate --ref \(artifact.commit.prefix(7))'")
                continue
            }
            artifact.content = result.value.canonicalJSON
            artifacts[id] = artifact
            documents[id] = result.value
        }
    }
}
