import CairnManifest
import CairnModel
import CairnState
import Foundation

/// What was deployed in an environment at a moment, with each artifact's accountability and the audit records
/// and commits that put it there. Rebuilt from the audit trail alone, so it answers for any past moment.
public struct ComplianceReport: Sendable {
    public struct Entry: Sendable {
        public var artifact: String
        public var digest: String
        public var commit: String
        public var tag: String
        public var deployedBy: String
        public var deployedAt: Int64
        /// `{"owner": ..., "compliance": {...}}` as recorded at deployment.
        public var snapshot: JSONValue
        /// The audit records (sequence numbers) of this artifact's deployment history up to the moment.
        public var records: [Int64]
    }

    public var environment: String
    public var at: Int64
    public var entries: [Entry]

    /// Replays the environment's apply, drift-repair and prune records up to `at`.
    public static func build(environment: String, at: Int64, records: [AuditRecord]) -> ComplianceReport {
        // The last deploying record of each artifact still live at `at`; snapshots are parsed for those only.
        var live: [String: AuditRecord] = [:]
        var history: [String: [Int64]] = [:]
        for record in records where record.environment == environment && record.time <= at {
            let id = record.artifact.split(separator: "@").first.map(String.init) ?? record.artifact
            switch AuditAction(rawValue: record.action) {
            case .apply?, .driftRepair?:
                history[id, default: []].append(record.sequence)
                live[id] = record
            case .prune?:
                history[id, default: []].append(record.sequence)
                live[id] = nil
            default:
                continue
            }
        }
        let entries = live.map { id, record in
            Entry(artifact: record.artifact, digest: record.digest, commit: record.commit, tag: record.tag,
                  deployedBy: record.actor, deployedAt: record.time,
                  snapshot: (try? JSONValue.parse(json: Data(record.compliance.utf8))) ?? .null,
                  records: history[id]!)
        }
        return ComplianceReport(environment: environment, at: at, entries: entries.sorted { $0.artifact < $1.artifact })
    }

    public var json: JSONValue {
        .object([
            "environment": .string(environment), "at": .string(Timestamp.text(at)),
            "artifacts": .array(entries.map { entry in
                .object([
                    "artifact": .string(entry.artifact), "digest": .string("sha256:" + entry.digest), "commit": .string(entry.commit),
                    "tag": .string(entry.tag), "deployedBy": .string(entry.deployedBy), "deployedAt": .string(Timestamp.text(entry.deployedAt)),
                    "owner": entry.snapshot["owner"] ?? .null, "compliance": entry.snapshot["compliance"] ?? .null,
                    "evidence": entry.snapshot["evidence"] ?? .null,
                    "auditRecords": .array(entry.records.map { .int(Int($0)) }),
                ])
            }),
        ])
    }

    public var markdown: String {
        var lines = ["# Compliance report: \(environment) at \(Timestamp.text(at))", ""]
        if entries.isEmpty { lines.append("Nothing was deployed in '\(environment)' at that moment.") }
        lines.append("| artifact | owner | risk class | license | data | PII | approvals | evaluations |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for entry in entries {
            let compliance = entry.snapshot["compliance"]
            let pii = compliance?["pii"].map { ($0["contains"]?.boolValue ?? false) ? "yes: " + (($0["categories"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")) : "no" } ?? "—"
            // Evidence the policies relied on (signed approvals, evaluation records); the YAML's own lists are claims.
            let evidence = entry.snapshot["evidence"]
            let approvals = (evidence?["approvals"]?.arrayValue ?? []).map { Self.signer($0["signer"]) }
                + (compliance?["approvals"]?.arrayValue ?? []).map { "claimed: \($0["by"]?.stringValue ?? "?") (\($0["at"]?.stringValue ?? "?"))" }
            let evaluations = (evidence?["evaluations"]?.arrayValue ?? []).map {
                "\($0["metric"]?.stringValue ?? "?")=\($0["value"].map { $0.canonicalJSON } ?? "?")"
                    + ($0["dataset"]?.stringValue.map { " on \($0)" } ?? "") + " (\($0["tag"]?.stringValue ?? "?"), \(Self.signer($0["signer"])))"
            } + (compliance?["evaluations"]?.arrayValue ?? []).map {
                "claimed: \($0["metric"]?.stringValue ?? "?")=\($0["value"].map { $0.canonicalJSON } ?? "?")"
            }
            let cells = [entry.artifact, entry.snapshot["owner"]?.stringValue ?? "—", compliance?["riskClass"]?.stringValue ?? "—",
                         compliance?["license"]?.stringValue ?? "—", compliance?["dataClassification"]?.stringValue ?? "—", pii,
                         approvals.isEmpty ? "—" : approvals.joined(separator: "; "), evaluations.isEmpty ? "—" : evaluations.joined(separator: "; ")]
            lines.append("| " + cells.map { $0.replacingEvery("|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        lines += ["", "## Provenance", ""]
        for entry in entries {
            let promotion = entry.snapshot["evidence"]?["promotion"].map { ", its assignment signed by " + Self.signer($0["signer"]) } ?? ""
            lines.append("- `\(entry.artifact)` sha256:\(entry.digest.prefix(12))… from commit `\(entry.commit.prefix(7))` via `\(entry.tag)`\(promotion), "
                         + "deployed by \(entry.deployedBy) at \(Timestamp.text(entry.deployedAt)); audit records " + entry.records.map { "#\($0)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    /// What each artifact deployed in `environment` now relied on when it was applied (its assignment's signer, the
    /// approvals and evaluations the policies counted), by `KIND/NAME@VERSION`, from the audit trail.
    public static func evidence(environment: String, store: any StateStore, now: Int64 = Int64(Date().timeIntervalSince1970)) async throws
        -> [String: JSONValue] {
        let report = build(environment: environment, at: now, records: try await store.auditRecords(AuditQuery(environment: environment)))
        var evidence: [String: JSONValue] = [:]
        for entry in report.entries { evidence[entry.artifact] = entry.snapshot["evidence"] }
        return evidence
    }

    /// One line of what `evidence` (an entry of `evidence(environment:store:)`) says: who signed the assignment, who
    /// approved, what was evaluated.
    public static func evidenceSummary(_ evidence: JSONValue) -> String {
        var parts: [String] = []
        if let promotion = evidence["promotion"] { parts.append("assignment " + (promotion["signer"]?["principal"] == nil ? "unsigned" : "signed by " + signer(promotion["signer"]))) }
        if let approvals = evidence["approvals"]?.arrayValue, !approvals.isEmpty {
            parts.append("approved by " + approvals.map { signer($0["signer"]) }.joined(separator: ", "))
        }
        if let evaluations = evidence["evaluations"]?.arrayValue, !evaluations.isEmpty {
            parts.append("evaluated " + evaluations.map { "\($0["metric"]?.stringValue ?? "?")=\($0["value"].map { $0.canonicalJSON } ?? "?") (\(signer($0["signer"])))" }
                .joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }

    /// `principal (SHA256:…)` for a verified signer, `unsigned` otherwise.
    static func signer(_ value: JSONValue?) -> String {
        guard let principal = value?["principal"]?.stringValue else { return "unsigned" }
        return principal + (value?["fingerprint"]?.stringValue.map { " (\($0))" } ?? "")
    }
}
