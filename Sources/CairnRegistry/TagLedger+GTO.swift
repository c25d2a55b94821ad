import CairnManifest
import CairnModel
import Foundation

/// The ledger in GTO's JSON shapes (`gto show --json`, `gto show NAME --json`, `gto history --json`), so that tools
/// written for GTO read cairn's output; the text forms print the same values.
extension TagLedger {
    /// What `gto show` prints for an environment: the version, the commit of an unregistered assignment, or null.
    public static func stage(_ current: EnvironmentAssignments.Current?) -> JSONValue {
        switch current {
        case .registered(let assignment)?: .string("v\(assignment.version.version)")
        case .unregistered(let commit, _)?: .string(commit.hex)
        case nil: .null
        }
    }

    /// An error for an artifact no tag names, with the closest one that a tag does.
    public func unknown(_ id: ArtifactID) -> CairnError { .unknownArtifact(id.description, known: rows.map(\.id.description)) }

    /// The rows `show` lists: active artifacts, and deprecated ones when asked.
    public func shown(includingDeprecated: Bool) -> [Row] { rows.filter { $0.active || includingDeprecated } }

    /// `gto show --json`: by artifact, its latest version and each environment's stage.
    public func showJSON(_ rows: [Row]) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: rows.map { row in
            (row.id.description, JSONValue.object([
                "version": row.latest.map { .string("v\($0.version)") } ?? .null,
                "stage": .object(Dictionary(uniqueKeysWithValues: environments.map { ($0, Self.stage(row.environments[$0])) })),
                "registered": .bool(row.registered),
                "active": .bool(row.active),
            ]))
        }))
    }

    /// One registered version of an artifact, as `show KIND/NAME` lists it.
    public struct Version: Sendable {
        /// `vX.Y.Z`.
        public let version: String
        public let isRegistered: Bool
        /// The environments that run it now.
        public let environments: [String]
        /// The registration tag.
        public let event: TagEvent
    }

    /// The registered versions of `id`, newest first; nil when no tag names it and `artifacts.yaml` does not annotate it.
    public func versions(of id: ArtifactID) -> [Version]? {
        guard let row = rows.first(where: { $0.id == id }) else { return nil }
        let history = history(of: id)
        let deregistered = Set(history.filter { $0.kind == .deregistration }.compactMap(\.version))
        let registrations = history.compactMap { entry -> (SemVer, Entry)? in
            guard entry.kind == .registration, let text = entry.version, let version = SemVer(String(text.dropFirst())) else { return nil }
            return (version, entry)
        }
        return registrations.sorted { $0.0 > $1.0 }.map { _, entry in
            Version(version: entry.version!, isRegistered: !deregistered.contains(entry.version!),
                    environments: environments.filter { Self.stage(row.environments[$0]).stringValue == entry.version }, event: entry.event)
        }
    }

    /// `gto show NAME --json`.
    public static func versionsJSON(_ versions: [Version], of id: ArtifactID) -> JSONValue {
        .array(versions.map { entry in
            .object([
                "artifact": .string(id.description), "version": .string(entry.version), "registered": .bool(entry.isRegistered),
                "environments": .array(entry.environments.map(JSONValue.string)),
                "commit": .string(entry.event.commit.hex), "tag": .string(entry.event.name),
                "author": .string(entry.event.tagger?.name ?? ""), "author_email": .string(entry.event.tagger?.email ?? ""),
                "created_at": .string(Timestamp.text(entry.event.time)),
            ])
        })
    }

    /// `gto history --json`.
    /// With `signatures` (by tag name), each entry also carries its tag's `signature`; `evidence` adds `evaluation` and
    /// `approval` events (both cairn's additions to GTO's shape, absent from a repository that has neither).
    public static func historyJSON(_ entries: [Entry], evidence: [EvidenceRecord] = [], signatures: [String: JSONValue]? = nil) -> JSONValue {
        let records: [(Int64, JSONValue)] = evidence.map { record in
            var fields: [String: JSONValue] = [
                "timestamp": .string(Timestamp.text(record.time)), "artifact": .string(record.tag.version.id.description),
                "event": .string(record.tag.kind == .evaluation ? "evaluation" : "approval"), "version": .string("v\(record.tag.version.version)"),
                "stage": record.statement.approval?.environment.map(JSONValue.string) ?? .null, "commit": .string(record.commit.hex),
                "author": .string(record.tagger?.name ?? ""), "author_email": .string(record.tagger?.email ?? ""),
                "statement": (try? JSONValue.parse(json: Data(record.statement.json.utf8))) ?? .null, "ref": .string(record.name),
            ]
            if let signatures { fields["signature"] = signatures[record.name] ?? .null }
            return (record.time, .object(fields))
        }
        return .array(merged(historyEntries(entries, signatures: signatures), records))
    }

    /// `entries` in their order, with each of `records` (by time) placed before the first entry later than it.
    public static func merged<T>(_ entries: [(Int64, T)], _ records: [(Int64, T)]) -> [T] {
        var pending = records.sorted { $0.0 < $1.0 }[...]
        var out: [T] = []
        for entry in entries {
            while let next = pending.first, next.0 < entry.0 { out.append(next.1); pending.removeFirst() }
            out.append(entry.1)
        }
        return out + pending.map(\.1)
    }

    private static func historyEntries(_ entries: [Entry], signatures: [String: JSONValue]?) -> [(Int64, JSONValue)] {
        entries.map { entry in
            var fields: [String: JSONValue] = [
                "timestamp": .string(Timestamp.text(entry.event.time)), "artifact": .string(entry.artifact.description),
                "event": .string(entry.kind.rawValue), "version": entry.version.map(JSONValue.string) ?? .null,
                "stage": entry.environment.map(JSONValue.string) ?? .null, "commit": .string(entry.event.commit.hex),
                "author": .string(entry.event.tagger?.name ?? ""), "author_email": .string(entry.event.tagger?.email ?? ""),
                "message": .string(entry.event.message), "ref": .string(entry.event.name),
            ]
            if let signatures { fields["signature"] = signatures[entry.event.name] ?? .null }
            return (entry.event.time, .object(fields))
        }
    }
}
