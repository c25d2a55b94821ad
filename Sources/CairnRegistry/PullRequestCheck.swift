import CairnModel
import Git2

/// The pull-request gate: what a change from BASE to HEAD may not do. Each violation is one line.
public struct PullRequestCheck: Sendable {
    public struct Violation: Sendable, Hashable, CustomStringConvertible {
        public let rule: String
        public let message: String
        public var description: String { "\(message) [\(rule)]" }
    }

    public let violations: [Violation]
    public let diff: SemanticDiff

    /// `cairn check --format json`: whether the change passes, and each violation with its rule.
    public var json: JSONValue {
        .object([
            "ok": .bool(violations.isEmpty),
            "violations": .array(violations.map { .object(["rule": .string($0.rule), "message": .string($0.message)]) }),
        ])
    }

    /// Checks the change from `base` to `head`: HEAD validates; content does not change without a version bump;
    /// versions do not go down; registered versions keep their content; required variables and chain inputs are not
    /// removed without a major bump; nothing still assigned to an environment is deleted.
    /// `events` are the tags to check against (default: the repository's).
    public init(reader: RegistryReader, base: ObjectID, head: ObjectID, events: [TagEvent]? = nil) throws {
        let events = try events ?? reader.tagEvents()
        let snapshot = try reader.read(.commit(head), events: events)
        var violations = snapshot.diagnostics.filter { $0.severity == .error }.map { diagnostic in
            Violation(rule: "validate", message: "\(diagnostic.path):\(diagnostic.line):\(diagnostic.column): \(diagnostic.message) (\(diagnostic.rule))")
        }
        diff = try SemanticDiff(base: try reader.artifacts(at: base), head: snapshot.artifacts) { artifact in
            try reader.document(blob: artifact.blob, path: artifact.path)
        }
        let registrations = Registrations(events)
        let assigned = EnvironmentAssignments.current(events, registrations: registrations)
        for entry in diff.entries {
            let name = entry.id.description
            switch entry.change {
            case .changed:
                violations.append(Violation(rule: "version-bump", message: "\(name)@\(entry.to!): content changed without a version bump (\(entry.path))"))
            case .versionBumped where entry.to! < entry.from!:
                violations.append(Violation(rule: "version-order", message: "\(name): version went down from \(entry.from!) to \(entry.to!)"))
            case .removed:
                for (environment, current) in (assigned[entry.id] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    violations.append(Violation(rule: "deleted-while-assigned",
                        message: "\(name) is deleted but still assigned to '\(environment)' (\(current.tag.name)); unassign it first"))
                }
            default:
                break
            }
            if let to = entry.to, let from = entry.from, to.major <= from.major, let before = entry.before, let after = entry.after {
                for removed in Self.removedRequired(before, after) {
                    violations.append(Violation(rule: "breaking-change",
                        message: "\(name) \(from) → \(to) removes \(removed) without a major version bump (\(from.major + 1).0.0)"))
                }
            }
            if entry.change != .removed, let version = entry.to.map({ ArtifactVersion(id: entry.id, version: $0) }), let registration = registrations.all[version],
               let registered = try reader.file(of: version, at: registration.commit),
               let current = snapshot.artifacts.first(where: { $0.summary.id == entry.id }), registered.summary.digest != current.summary.digest {
                violations.append(Violation(rule: "registered-immutable",
                    message: "\(version) is registered (\(registration.name) at \(registration.commit.short)) with other content; registered versions are immutable, bump the version"))
            }
        }
        self.violations = violations
    }

    /// Required prompt variables and chain inputs present before and gone after, e.g. "required variable 'tone'".
    static func removedRequired(_ before: JSONValue, _ after: JSONValue) -> [String] {
        var removed: [String] = []
        for (list, label) in [("variables", "required variable"), ("inputs", "chain input")] {
            let old = before["spec"]?[list]?.arrayValue ?? [], new = after["spec"]?[list]?.arrayValue ?? []
            let kept = Set(new.compactMap { $0["name"]?.stringValue })
            for item in old {
                guard let name = item["name"]?.stringValue, !kept.contains(name) else { continue }
                // Chain inputs count whether or not they are marked required; a prompt variable only when required.
                if list == "inputs" || item["required"]?.boolValue == true { removed.append("\(label) '\(name)'") }
            }
        }
        return removed
    }
}

extension PullRequestCheck {
    /// What a client's `pre-push` hook refuses: for each branch pushed (`LOCAL_REF LOCAL_ID REMOTE_REF REMOTE_ID` lines,
    /// as git gives them), the change from what the remote has to what is pushed; a new branch is validated alone.
    /// One line per violation, prefixed with the remote branch.
    public static func prePush(_ lines: [Substring], reader: RegistryReader) throws -> [String] {
        var problems: [String] = []
        for line in lines {
            let parts = line.split(separator: " ")
            // The local ref may be "HEAD", so the remote ref decides whether a branch is pushed.
            guard parts.count == 4, parts[2].hasPrefix("refs/heads/"), let local = ObjectID(hex: String(parts[1])),
                  local != .zero else { continue }
            let theirs = ObjectID(hex: String(parts[3])).flatMap { try? reader.location.repository.commit($0).id }
            let check = try PullRequestCheck(reader: reader, base: theirs ?? local, head: local)
            problems += check.violations.map { "\(parts[2]): \($0)" }
        }
        return problems
    }
}

