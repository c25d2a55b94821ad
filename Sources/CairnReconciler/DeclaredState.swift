import CairnManifest
import CairnModel
import CairnRegistry
import Git2

/// What git declares for one environment: every assigned artifact at the version its tags name, read at its
/// registration commit, plus the transitive closure of what those artifacts reference.
public struct DeclaredState: Sendable {
    public var environment: String
    public var artifacts: [ArtifactID: DeclaredArtifact]
    /// Parsed documents, for policies (compliance, gates); same keys as `artifacts`.
    public var documents: [ArtifactID: JSONValue]
    /// Tags or references that could not be honoured; a plan with problems does not apply.
    public var problems: [String]

    /// Reads the declared state of `environment` from the repository's tags.
    public static func read(environment: String, reader: RegistryReader, isProtected: Bool) throws -> DeclaredState {
        let events = try TagEvent.read(from: reader.location.repository)
        let (assignments, assignmentProblems) = EnvironmentAssignments.resolve(events, environment: environment)
        var problems = assignmentProblems.map(\.description)

        var registered: [ArtifactVersion: TagEvent] = [:]
        var deregistered = Set<ArtifactVersion>()
        for event in events {
            switch event.tag {
            case .register(let id, let version): registered[ArtifactVersion(id: id, version: version)] = event
            case .deregister(let id, let version): deregistered.insert(ArtifactVersion(id: id, version: version))
            default: break
            }
        }
        for version in deregistered { registered[version] = nil }
        var versions: [ArtifactID: [ArtifactVersion]] = [:]
        for version in registered.keys { versions[version.id, default: []].append(version) }

        var byCommit: [ObjectID: [ArtifactVersion: RegistrySnapshot.Artifact]] = [:]
        func file(_ version: ArtifactVersion, at commit: ObjectID) throws -> RegistrySnapshot.Artifact? {
            if byCommit[commit] == nil {
                byCommit[commit] = Dictionary(try reader.artifacts(at: commit).map { ($0.summary.versioned, $0) }, uniquingKeysWith: { first, _ in first })
            }
            return byCommit[commit]?[version]
        }

        var state = DeclaredState(environment: environment, artifacts: [:], documents: [:], problems: [])
        var queue: [(ArtifactVersion, TagEvent, String)] = assignments.values.sorted { $0.version < $1.version }
            .map { ($0.version, $0.registration, $0.tag.name) }
        while !queue.isEmpty {
            let (version, registration, source) = queue.removeFirst()
            if let existing = state.artifacts[version.id] {
                if existing.version != version {
                    problems.append("\(source) needs \(version), but \(existing.version) is declared (\(existing.tag))")
                }
                continue
            }
            guard let found = try file(version, at: registration.commit) else {
                problems.append("\(registration.name) points at \(registration.commit.short), where \(version) is not in the registry")
                continue
            }
            let bytes = try reader.location.repository.blob(found.blob)
            guard let parsed = try? ParsedManifest.load(bytes, isConfig: false, schemas: reader.analyzer.schemas), parsed.findings.isEmpty else {
                problems.append("\(version) at \(registration.commit.short) (\(found.path)) does not validate; run 'cairn validate --ref \(registration.commit.short)'")
                continue
            }
            let content = parsed.value.canonicalJSON
            state.artifacts[version.id] = DeclaredArtifact(version: version, digest: found.summary.digest, content: content,
                                                           commit: registration.commit.hex, tag: source)
            state.documents[version.id] = parsed.value
            for site in found.summary.references {
                let reference = site.reference
                if isProtected && !reference.requirement.isExact {
                    problems.append("\(version) \(site.field): '\(site.text)' is a range; '\(environment)' is protected and accepts exact pins only")
                    continue
                }
                let candidates = (versions[reference.id] ?? []).filter { reference.requirement.accepts($0.version) }
                guard let target = candidates.max(), let tag = registered[target] else {
                    problems.append("\(version) \(site.field): '\(site.text)' is not a registered version; register \(reference.id) first")
                    continue
                }
                queue.append((target, tag, "required by \(version)"))
            }
        }
        state.problems = problems
        return state
    }
}
