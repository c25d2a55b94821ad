import CairnModel
import Git2

/// Which version of each artifact git assigns to an environment, from tags alone (a pure function of the tag list).
///
/// For environment E, an artifact's assignment is its latest `NAME#E#N` or `NAME#E!#N` tag, ordered by counter and
/// then by tagger time; an unassignment (`!`) leaves nothing assigned. The version is the registered one
/// (`NAME@vX.Y.Z`, not deregistered) whose tag points at the same commit as the assignment, as GTO reads it; when
/// several do, the highest wins. An assignment whose commit carries no live registration is reported, not used.
public enum EnvironmentAssignments {
    /// One artifact's current assignment.
    public struct Assignment: Sendable, Hashable {
        public let version: ArtifactVersion
        /// The assignment tag.
        public let tag: TagEvent
        /// The registration tag of the version (its commit is where the content is read).
        public let registration: TagEvent
    }

    /// An assignment tag that could not be honoured.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public let tag: String
        public let message: String
        public var description: String { "\(tag): \(message)" }
    }

    public static func resolve(_ events: [TagEvent], environment: String,
                               registrations: Registrations? = nil) -> (assignments: [ArtifactID: Assignment], problems: [Problem]) {
        let registrations = registrations ?? Registrations(events)
        var latest: [ArtifactID: (event: TagEvent, counter: Int, assigned: Bool)] = [:]
        for event in events {
            switch event.tag {
            case .register, .deregister, .deprecate:
                continue
            case .assign(let id, let stage, let counter), .unassign(let id, let stage, let counter):
                guard stage == environment else { continue }
                let assigned: Bool
                if case .assign = event.tag { assigned = true } else { assigned = false }
                if let current = latest[id], (current.counter, current.event.time, current.event.name) >= (counter, event.time, event.name) {
                    continue
                }
                latest[id] = (event, counter, assigned)
            }
        }
        var assignments: [ArtifactID: Assignment] = [:]
        var problems: [Problem] = []
        for (id, entry) in latest where entry.assigned {
            let atCommit = (registrations.versions[id] ?? []).filter { registrations.all[$0]!.commit == entry.event.commit }
            guard let best = atCommit.filter({ !registrations.deregistered.contains($0) }).max() else {
                let wasDeregistered = !atCommit.isEmpty
                problems.append(Problem(tag: entry.event.name, message: wasDeregistered
                    ? "the version it assigns was deregistered; assign a registered version"
                    : "no registered version of \(id) points at commit \(entry.event.commit.short); register it first"))
                continue
            }
            assignments[id] = Assignment(version: best, tag: entry.event, registration: registrations.all[best]!)
        }
        return (assignments, problems.sorted { $0.tag < $1.tag })
    }
}
