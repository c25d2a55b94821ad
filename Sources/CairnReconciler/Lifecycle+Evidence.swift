import CairnManifest
import CairnModel
import CairnRegistry
import CairnTrust
import Crypto
import Foundation
import Git2

extension Lifecycle {
    /// What an evaluation measured, before it is bound to a version's digest.
    public struct Measurement: Sendable {
        public var metric: String
        public var value: Double
        public var threshold: Double?
        /// `atMost` when lower is better; nil: at least.
        public var direction: String?
        public var tool = "cairn"
        public var suite: String?
        /// `dataset/NAME@VERSION`, registered: recorded with its content digest.
        public var dataset: ArtifactVersion?
        /// The results file it was imported from, by name, with its bytes (hashed into the record).
        public var source: (name: String, bytes: [UInt8])?
        public var details: [String: Double]?
        public var note: String?

        /// The rest is set field by field (an importer sets the tool, the source and the details).
        public init(metric: String, value: Double, dataset: ArtifactVersion? = nil) {
            self.metric = metric
            self.value = value
            self.dataset = dataset
        }
    }

    /// Records an evaluation of `version` (registered and live) as an evidence tag at its registration commit, bound
    /// to its content digest; signed when a signer is set; audited.
    public func recordEvaluation(of version: ArtifactVersion, _ measurement: Measurement) async throws -> Outcome {
        guard measurement.value.isFinite, measurement.threshold?.isFinite ?? true else {
            throw CairnError.unknownName(kind: "finite number", name: "\(measurement.value)", known: ["finite values only (no nan or inf)"])
        }
        let (subject, digest, registration, document) = try subjectOf(version)
        var dataset: EvidenceStatement.Reference?
        if let ref = measurement.dataset {
            let (_, datasetDigest, _, _) = try subjectOf(ref)
            dataset = EvidenceStatement.Reference(name: ref.description, digest: ["sha256": datasetDigest])
        }
        let evaluation = EvidenceStatement.Evaluation(
            evaluator: try person(), time: Timestamp.text(now), tool: measurement.tool, suite: measurement.suite, dataset: dataset,
            metric: measurement.metric, value: measurement.value, threshold: measurement.threshold, direction: measurement.direction,
            source: measurement.source.map { EvidenceStatement.Reference(name: $0.name, digest: ["sha256": ContentDigest.sha256($0.bytes)]) },
            details: measurement.details, note: measurement.note)
        let statement = EvidenceStatement(subject: subject, evaluation: evaluation)
        let on = dataset.map { " on \($0.name)" } ?? ""
        let summary = "evaluation of \(version): \(measurement.metric) \(JSONValue.format(measurement.value))\(on)"
        return try await writeEvidence(.evaluation, version: version, statement: statement, subjectLine: summary, digest: digest,
                                       registration: registration, document: document, environment: "")
    }

    /// Records an approval of `version` (for `environment`, or any) as an evidence tag, as `recordEvaluation` does.
    public func approve(_ version: ArtifactVersion, environment: String?, comment: String?) async throws -> Outcome {
        if let environment { _ = try config.require(environment: environment) }
        let (subject, digest, registration, document) = try subjectOf(version)
        let approval = EvidenceStatement.Approval(approver: try person(), time: Timestamp.text(now), environment: environment, comment: comment)
        let statement = EvidenceStatement(subject: subject, approval: approval)
        return try await writeEvidence(.approval, version: version, statement: statement,
                                       subjectLine: "approval of \(version)" + (environment.map { " for \($0)" } ?? ""), digest: digest,
                                       registration: registration, document: document, environment: environment ?? "")
    }

    /// The in-toto subject of a registered, live version: its id, content digest (read at its registration commit), tag.
    func subjectOf(_ version: ArtifactVersion) throws -> (EvidenceStatement.Subject, String, TagEvent, JSONValue) {
        guard !version.id.isTagOnly else { throw CairnError.unknownArtifact(version.description, known: []) }
        let (registration, document, digest) = try reader.registered(version)
        let subject = EvidenceStatement.Subject(name: version.description, digest: ["sha256": digest],
                                                annotations: ["registrationTag": registration.name, "commit": registration.commit.hex])
        return (subject, digest, registration, document)
    }

    func person() throws -> EvidenceStatement.Person {
        EvidenceStatement.Person(actor: actor, email: try signature().email)
    }

    private func writeEvidence(_ kind: EvidenceTag.Kind, version: ArtifactVersion, statement: EvidenceStatement, subjectLine: String, digest: String,
                               registration: TagEvent, document: JSONValue, environment: String) async throws -> Outcome {
        let json = statement.json
        // A random part too: the same statement written twice in one second (once unsigned, once signed) is two records.
        let id = String(SHA256.hash(data: Array((json + UUID().uuidString).utf8)).hexString.prefix(16))
        let tag = EvidenceTag(kind: kind, version: version, id: id).text
        let action: AuditAction = kind == .evaluation ? .evaluate : .approve
        return Outcome(tags: try await write([PendingTag(name: tag, target: registration.commit, message: subjectLine + "\n\n" + json + "\n",
            audit: draft(action, environment: environment, version: version, digest: digest, commit: registration.commit, tag: tag,
                         summary: subjectLine, document: document))]))
    }
}
