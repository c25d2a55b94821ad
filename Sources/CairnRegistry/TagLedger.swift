import CairnModel
import Git2

/// What the tags say, artifact by artifact: the latest version, what each environment runs, and every event in
/// order. `cairn show` and `cairn history` print it; it reads a repository as `gto show` and `gto history` do.
public struct TagLedger: Sendable {
    public struct Row: Sendable {
        public let id: ArtifactID
        /// The highest registered version that was not deregistered (GTO's "latest").
        public let latest: ArtifactVersion?
        public let environments: [String: EnvironmentAssignments.Current]
        /// False once the artifact was deprecated (`@deprecated`) and nothing happened after.
        public let active: Bool
        /// Whether any tag names it (GTO's "registered"); false for one only `artifacts.yaml` annotates.
        public let registered: Bool
        /// What `artifacts.yaml` says of it, if anything.
        public let annotation: GTOAnnotations.Annotation?
    }

    /// One tag, as history tells it.
    public struct Entry: Sendable {
        public enum Kind: String, Sendable {
            case registration, deregistration, assignment, unassignment, rollback, deprecation, hold, release
        }

        public let kind: Kind
        public let event: TagEvent
        public let artifact: ArtifactID
        /// The version the tag is about: named in it, or registered at the commit it points to.
        public let version: String?
        public let environment: String?
    }

    public let rows: [Row]
    /// The environments named in `configured`, then those some artifact is assigned to now, in first-use order.
    public let environments: [String]
    /// Every environment a tag or `configured` names, assigned now or not (what `history --env` accepts).
    public let namedEnvironments: Set<String>
    private let events: [TagEvent]
    private let registrations: Registrations

    /// - Parameters:
    ///   - configured: the environments of `cairn.yaml`, listed first and always present.
    ///   - annotations: GTO's `artifacts.yaml`; an artifact annotated there and named by no tag is a row too.
    public init(_ events: [TagEvent], configured: [String] = [], annotations: GTOAnnotations = .none) {
        self.events = events
        let registrations = Registrations(events)
        self.registrations = registrations
        let current = EnvironmentAssignments.current(events, registrations: registrations)
        var latestEvent: [ArtifactID: TagEvent] = [:]
        for event in events {
            let id = event.tag.artifact
            if let known = latestEvent[id], Self.precedes(event, known) { continue }
            latestEvent[id] = event
        }
        let ids = Set(latestEvent.keys).union(annotations.byArtifact.keys)
        rows = ids.map { ($0.description, $0) }.sorted { $0.0 < $1.0 }.map(\.1).map { id in
            guard let latest = latestEvent[id] else {
                return Row(id: id, latest: nil, environments: [:], active: true, registered: false, annotation: annotations.byArtifact[id])
            }
            let isDeprecation: Bool
            if case .deprecate = latest.tag { isDeprecation = true } else { isDeprecation = false }
            return Row(id: id, latest: registrations.liveVersions[id]?.max(), environments: current[id] ?? [:], active: !isDeprecation,
                       registered: true, annotation: annotations.byArtifact[id])
        }
        // As GTO lists stages when no configuration names them: those some artifact is assigned to now.
        let inUse = Set(current.values.flatMap(\.keys))
        var firstUse: [String: TagEvent] = [:]
        var named = Set(configured)
        for event in events {
            guard let environment = event.tag.environment else { continue }
            named.insert(environment)
            if case .assign = event.tag, inUse.contains(environment), !configured.contains(environment),
               firstUse[environment].map({ Self.precedes(event, $0) }) ?? true {
                firstUse[environment] = event
            }
        }
        environments = configured + firstUse.sorted { Self.precedes($0.value, $1.value) }.map(\.key)
        namedEnvironments = named
    }

    /// Tagger time first (as GTO orders history), then GTO's tags before cairn's holds (a rollback's hold is written
    /// with its assignment), then counter and name, so that ties read in a stable order.
    static func precedes(_ lhs: TagEvent, _ rhs: TagEvent) -> Bool {
        (lhs.time, lhs.tag.isHold ? 1 : 0, lhs.tag.counter, lhs.name) < (rhs.time, rhs.tag.isHold ? 1 : 0, rhs.tag.counter, rhs.name)
    }

    /// Every event of `artifact` (or of all artifacts), oldest first, optionally only those about `environment`.
    public func history(of artifact: ArtifactID? = nil, environment: String? = nil) -> [Entry] {
        events.filter { artifact == nil || $0.tag.artifact == artifact }.sorted(by: Self.precedes).compactMap { event in
            let entry = self.entry(event)
            if let environment, entry.environment != environment { return nil }
            return entry
        }
    }

    /// The message cairn writes on a rollback's assignment tag starts with this word.
    public static let rollbackMarker = "rollback"

    private func entry(_ event: TagEvent) -> Entry {
        let id = event.tag.artifact
        func atCommit() -> String? {
            let versions = registrations.atCommit[id]?[event.commit] ?? []
            return versions.max().map { "v\($0.version)" } ?? event.commit.hex
        }
        switch event.tag {
        case .register(_, let version): return Entry(kind: .registration, event: event, artifact: id, version: "v\(version)", environment: nil)
        case .deregister(_, let version): return Entry(kind: .deregistration, event: event, artifact: id, version: "v\(version)", environment: nil)
        case .assign(_, let environment, _):
            let kind: Entry.Kind = event.message.hasPrefix(Self.rollbackMarker + " ") ? .rollback : .assignment
            return Entry(kind: kind, event: event, artifact: id, version: atCommit(), environment: environment)
        case .unassign(_, let environment, _): return Entry(kind: .unassignment, event: event, artifact: id, version: atCommit(), environment: environment)
        case .deprecate: return Entry(kind: .deprecation, event: event, artifact: id, version: nil, environment: nil)
        case .hold(_, let version, let environment, _): return Entry(kind: .hold, event: event, artifact: id, version: "v\(version)", environment: environment)
        case .release(_, let version, let environment, _): return Entry(kind: .release, event: event, artifact: id, version: "v\(version)", environment: environment)
        }
    }
}

extension RegistryReader {
    /// The registry's tags as a ledger, with the environments of `cairn.yaml` at HEAD listed first when it reads, and
    /// the artifacts GTO's `artifacts.yaml` at HEAD annotates.
    public func ledger() throws -> TagLedger {
        let head = try? location.commit("HEAD")
        let configured = head.flatMap { try? config(at: $0).config }?.environments.map(\.name) ?? []
        let annotations = try head.map { try gtoAnnotations(at: $0) } ?? .none
        return TagLedger(try tagEvents(), configured: configured, annotations: annotations)
    }
}
