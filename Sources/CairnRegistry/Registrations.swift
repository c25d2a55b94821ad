import CairnModel

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
    }
}
