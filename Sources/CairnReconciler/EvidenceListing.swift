import CairnManifest
import CairnModel
import CairnRegistry
import CairnState
import CairnTrust
import Foundation
import Git2

/// The evidence about one registered version, each record with its signature's verdict and whether it is bound to
/// the version's content digest: what `cairn evidence list` shows and what the policies count.
public struct EvidenceListing: Sendable {
    public struct Item: Sendable {
        public let record: EvidenceRecord
        public let trust: TagTrust
        /// Whether the statement's subject is this version with its content digest (one for another digest is
        /// never counted).
        public let boundToDigest: Bool
    }

    public let version: ArtifactVersion
    public let digest: String
    public let items: [Item]

    /// Reads the evidence about `version`, judging signatures against the allowed signers at `policyCommit`.
    public static func read(_ version: ArtifactVersion, reader: RegistryReader, config: RegistryConfig, policyCommit: ObjectID,
                            store: (any StateStore)?, now: Int64 = Int64(Date().timeIntervalSince1970)) async throws -> EvidenceListing {
        let digest = try reader.registered(version).digest
        let records = try reader.evidence(for: [version])[version] ?? []
        let verdicts = try await TagSignatures.judge(records.map { ($0.name, $0.object) }, reader: reader, config: config, policyCommit: policyCommit,
                                                     store: store, now: now)
        return EvidenceListing(version: version, digest: digest, items: records.map {
            Item(record: $0, trust: verdicts[$0.name] ?? .refused(.unsigned), boundToDigest: $0.isAbout(version, digest: digest))
        })
    }

    /// One line a record: kind, what it says, who wrote it and whether its signature verifies.
    public var text: [String] {
        items.map { item in
            let statement = item.record.statement
            var line = "\(item.record.name)\n  "
            if let evaluation = statement.evaluation {
                line += "evaluation \(evaluation.metric) = \(JSONValue.format(evaluation.value))"
                if let threshold = evaluation.threshold {
                    line += " (\(evaluation.direction == "atMost" ? "at most" : "at least") \(JSONValue.format(threshold)): \(evaluation.passed == true ? "pass" : "fail"))"
                }
                if let dataset = evaluation.dataset { line += " on \(dataset.name)" }
                line += " by \(evaluation.tool), \(evaluation.evaluator.actor) <\(evaluation.evaluator.email)> at \(evaluation.time)"
            } else if let approval = statement.approval {
                line += "approval" + (approval.environment.map { " for \($0)" } ?? "") + " by \(approval.approver.actor) <\(approval.approver.email)> at \(approval.time)"
                if let comment = approval.comment { line += ": \(comment)" }
            }
            line += "\n  " + item.trust.summary
            if !item.boundToDigest { line += "\n  NOT COUNTED: its subject is another digest than \(version)'s (\(digest.prefix(12)))" }
            return line
        }
    }

    /// As JSON: each record's tag, kind, digest binding, signature and statement.
    public var json: JSONValue {
        .array(items.map { item in
            let problem: JSONValue
            if case .refused(let why) = item.trust { problem = .string(why.description) } else { problem = .null }
            let statement = (try? JSONValue.parse(json: Data(item.record.statement.json.utf8))) ?? .null
            return .object([
                "tag": .string(item.record.name), "kind": .string(item.record.tag.kind == .evaluation ? "evaluation" : "approval"),
                "boundToDigest": .bool(item.boundToDigest), "signer": item.trust.signerJSON, "signatureProblem": problem, "statement": statement,
            ])
        })
    }
}
