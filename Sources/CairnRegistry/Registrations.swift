import CairnModel
import Git2

/// The registration tags of a repository (`KIND/NAME@vX.Y.Z`), with deregistrations (`...!`) applied: the one
/// place that decides which versions are registered.
public struct Registrations: Sendable {
    /// Every registration tag by version, deregistered or not.
    public let all: [ArtifactVersion: TagEvent]
    public let deregistered: Set<ArtifactVersion>
    /// Registered and not deregistered.
    public let live: [ArtifactVersion: TagEvent]
    /// Versions of each artifact that have a registration tag, deregistered or not.
    public let versions: [ArtifactID: [ArtifactVersion]]
    /// Live versions of each artifact.
    public let liveVersions: [ArtifactID: [ArtifactVersion]]
    /// The versions of each artifact registered at each commit (how an assignment tag names its version).
    public let atCommit: [ArtifactID: [ObjectID: [ArtifactVersion]]]

    public init(_ events: [TagEvent]) {
        var all: [ArtifactVersion: TagEvent] = [:]
        var deregistered = Set<ArtifactVersion>()
        for event in events {
            switch event.tag {
            case .register(let id, let version):
                let key = ArtifactVersion(id: id, version: version)
                if all[key] == nil { all[key] = event }
            case .deregister(let id, let version): deregistered.insert(ArtifactVersion(id: id, version: version))
            default: break
            }
        }
        self.all = all
        self.deregistered = deregistered
        live = all.filter { !deregistered.contains($0.key) }
        versions = Dictionary(grouping: all.keys, by: \.id)
        liveVersions = Dictionary(grouping: live.keys, by: \.id)
        var atCommit: [ArtifactID: [ObjectID: [ArtifactVersion]]] = [:]
        for (version, event) in all { atCommit[version.id, default: [:]][event.commit, default: []].append(version) }
        self.atCommit = atCommit
    }

    /// The newest live version of `id` registered at `commit`: the version an assignment tag there names.
    public func liveVersion(of id: ArtifactID, at commit: ObjectID) -> ArtifactVersion? {
        (atCommit[id]?[commit] ?? []).filter { live[$0] != nil }.max()
    }
}

/// The holds on versions (`cairn-hold/...`, lifted by `cairn-release/...`): per environment and version, the tag
/// with the highest counter decides.
public struct Holds: Sendable {
    public struct Key: Hashable, Sendable {
        public let environment: String
        public let version: ArtifactVersion

        public init(environment: String, version: ArtifactVersion) {
            self.environment = environment
            self.version = version
        }
    }

    /// The hold tag of every version held now, by environment and version.
    public let active: [Key: TagEvent]
    /// The highest hold/release counter of each environment and version (the next tag uses one more).
    public let counters: [Key: Int]

    public init(_ events: [TagEvent]) {
        var latest: [Key: (counter: Int, event: TagEvent, held: Bool)] = [:]
        for event in events {
            let key: Key, counter: Int, held: Bool
            switch event.tag {
            case .hold(let id, let version, let environment, let number):
                (key, counter, held) = (Key(environment: environment, version: ArtifactVersion(id: id, version: version)), number, true)
            case .release(let id, let version, let environment, let number):
                (key, counter, held) = (Key(environment: environment, version: ArtifactVersion(id: id, version: version)), number, false)
            default:
                continue
            }
            if let current = latest[key], (current.counter, current.event.time) >= (counter, event.time) { continue }
            latest[key] = (counter, event, held)
        }
        active = latest.compactMapValues { $0.held ? $0.event : nil }
        counters = latest.mapValues(\.counter)
    }

    public func hold(on version: ArtifactVersion, in environment: String) -> TagEvent? {
        active[Key(environment: environment, version: version)]
    }
}

extension Registrations {
    /// Why `version` is not registered and live: deregistered; not registered (with the versions that are); or an
    /// artifact no tag names at all (with the closest that one does).
    public func whyNotLive(_ version: ArtifactVersion) -> CairnError {
        if all[version] != nil { return .deregistered(version) }
        guard let registered = versions[version.id], !registered.isEmpty else { return unknown(version.id) }
        return .notRegistered(version, registered: registered.sorted().map { $0.version.description })
    }

    /// An artifact no registration names, with the closest one that does.
    public func unknown(_ id: ArtifactID) -> CairnError {
        .unknownArtifact(id.description, known: Set(all.keys.map(\.id.description)).sorted())
    }
}
