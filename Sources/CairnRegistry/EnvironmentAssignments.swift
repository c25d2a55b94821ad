import CairnModel
import Git2

/// Which version of each artifact git assigns to each environment, from tags alone (a pure function of the tag
/// list), read as GTO reads it so that `cairn show` and `gto show` agree.
///
/// An assignment tag `NAME#E#N` (or unassignment `NAME#E!#N`) points at a commit, and names the version registered
/// at that commit. For each version, its latest assignment or unassignment to E (by counter, then tagger time)
/// says whether it is assigned; of the versions assigned, the most recently assigned is current. A version that
/// was deregistered no longer counts, so E falls back to the one assigned before it. An assignment at a commit no
/// registration points at is current too (GTO shows the commit), but cannot be deployed: `resolve` reports it.
public enum EnvironmentAssignments {
    /// One artifact's current assignment.
    public struct Assignment: Sendable, Hashable {
        public let version: ArtifactVersion
        /// The assignment tag.
        public let tag: TagEvent
        /// The registration tag of the version (its commit is where the content is read).
        public let registration: TagEvent

        public init(version: ArtifactVersion, tag: TagEvent, registration: TagEvent) {
            self.version = version
            self.tag = tag
            self.registration = registration
        }
    }

    /// What an environment runs of one artifact, according to the tags.
    public enum Current: Sendable, Hashable {
        case registered(Assignment)
        /// The winning assignment points at a commit where no version is registered.
        case unregistered(commit: ObjectID, tag: TagEvent)

        public var tag: TagEvent {
            switch self {
            case .registered(let assignment): assignment.tag
            case .unregistered(_, let tag): tag
            }
        }
    }

    /// An assignment tag that could not be honoured.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public let tag: String
        public let message: String
        public var description: String { "\(tag): \(message)" }
    }

    /// Of `ids`, those whose newest assignment or unassignment tag in `environment` is an unassignment, with that tag:
    /// what withdrew them.
    public static func withdrawals(_ events: [TagEvent], environment: String, of ids: Set<ArtifactID>) -> [ArtifactID: TagEvent] {
        var latest: [ArtifactID: TagEvent] = [:]
        for event in events where ids.contains(event.tag.artifact) && event.tag.environment == environment {
            switch event.tag {
            case .assign, .unassign:
                if latest[event.tag.artifact].map({ $0.precedes(event) }) ?? true { latest[event.tag.artifact] = event }
            default:
                continue
            }
        }
        return latest.filter { if case .unassign = $0.value.tag { true } else { false } }
    }

    /// The current assignment of every artifact in every environment (or only `environment`).
    public static func current(_ events: [TagEvent], registrations: Registrations,
                               environment only: String? = nil) -> [ArtifactID: [String: Current]] {
        struct Key: Hashable {
            let id: ArtifactID
            let environment: String
            let commit: ObjectID
        }
        var latest: [Key: TagEvent] = [:]
        var latestAssignment: [Key: TagEvent] = [:]
        for event in events {
            let key: Key, isAssignment: Bool
            switch event.tag {
            case .assign(let id, let environment, _): (key, isAssignment) = (Key(id: id, environment: environment, commit: event.commit), true)
            case .unassign(let id, let environment, _): (key, isAssignment) = (Key(id: id, environment: environment, commit: event.commit), false)
            default: continue
            }
            if let only, key.environment != only { continue }
            if latest[key].map({ $0.precedes(event) }) ?? true { latest[key] = event }
            if isAssignment, latestAssignment[key].map({ $0.precedes(event) }) ?? true { latestAssignment[key] = event }
        }
        var winners: [ArtifactID: [String: (assignment: TagEvent, commit: ObjectID)]] = [:]
        for (key, event) in latest {
            guard case .assign = event.tag, let assignment = latestAssignment[key] else { continue }
            let versions = registrations.atCommit[key.id]?[key.commit] ?? []
            // A deregistered version no longer counts (GTO treats it as inactive).
            if !versions.isEmpty, versions.allSatisfy(registrations.deregistered.contains) { continue }
            if let current = winners[key.id]?[key.environment], !current.assignment.precedes(assignment) { continue }
            winners[key.id, default: [:]][key.environment] = (assignment, key.commit)
        }
        return winners.mapValues { byEnvironment in
            byEnvironment.mapValues { winner in
                guard let version = registrations.liveVersion(of: winner.assignment.tag.artifact, at: winner.commit),
                      let registration = registrations.all[version] else {
                    return .unregistered(commit: winner.commit, tag: winner.assignment)
                }
                return .registered(Assignment(version: version, tag: winner.assignment, registration: registration))
            }
        }
    }

    /// The assignments of `environment` that can be deployed, and the tags that cannot: assignments at a commit with
    /// no registration, and versions on hold in that environment. Tag-only artifacts are left out: they have nothing
    /// to deploy.
    public static func resolve(_ events: [TagEvent], environment: String,
                               registrations: Registrations? = nil) -> (assignments: [ArtifactID: Assignment], problems: [Problem]) {
        let registrations = registrations ?? Registrations(events)
        let holds = Holds(events)
        var assignments: [ArtifactID: Assignment] = [:]
        var problems: [Problem] = []
        for (id, byEnvironment) in current(events, registrations: registrations, environment: environment) where !id.isTagOnly {
            switch byEnvironment[environment] {
            case .registered(let assignment)?:
                if let hold = holds.hold(on: assignment.version, in: environment) {
                    problems.append(Problem(tag: assignment.tag.name, message:
                        "\(assignment.version) is on hold in '\(environment)' (\(hold.name)); lift it with 'cairn release \(assignment.version) --env \(environment)' or assign another version"))
                } else {
                    assignments[id] = assignment
                }
            case .unregistered(let commit, let tag)?:
                problems.append(Problem(tag: tag.name, message: "no registered version of \(id) points at commit \(commit.short); register it first"))
            case nil:
                break
            }
        }
        return (assignments, problems.sorted { $0.tag < $1.tag })
    }
}
