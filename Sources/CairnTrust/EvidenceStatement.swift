import CairnModel
import Foundation

/// A piece of evidence about one registered version, as an in-toto Statement v1: the subject is the artifact version
/// with its cairn content digest (and the registration tag and commit as annotations), the predicate an evaluation
/// (who measured what, on which dataset, with which tool, from which file) or an approval (who signed off, for which
/// environment). It lives outside the artifact's content, in a tag of its own, so that a registered version can
/// receive evidence without changing.
public struct EvidenceStatement: Sendable, Hashable, Codable {
    public static let statementType = "https://in-toto.io/Statement/v1"
    public static let evaluationType = "https://cairn.dev/attestations/evaluation/v1"
    public static let approvalType = "https://cairn.dev/attestations/approval/v1"

    public var type: String
    public var subject: [Subject]
    public var predicateType: String
    public var evaluation: Evaluation?
    public var approval: Approval?

    public struct Subject: Sendable, Hashable, Codable {
        /// `KIND/NAME@VERSION`.
        public var name: String
        /// `{"sha256": HEX}`: the version's cairn content digest.
        public var digest: [String: String]
        /// `registrationTag`, `commit`.
        public var annotations: [String: String]?

        public init(name: String, digest: [String: String], annotations: [String: String]?) {
            self.name = name
            self.digest = digest
            self.annotations = annotations
        }
    }

    /// Who wrote a record: cairn's actor and git's email (the signer's principal, when the tag is signed and verifies).
    public struct Person: Sendable, Hashable, Codable {
        public var actor: String
        public var email: String

        public init(actor: String, email: String) {
            self.actor = actor
            self.email = email
        }
    }

    /// A file, tool output or dataset, by name and digest.
    public struct Reference: Sendable, Hashable, Codable {
        public var name: String
        public var digest: [String: String]?

        public init(name: String, digest: [String: String]?) {
            self.name = name
            self.digest = digest
        }
    }

    public struct Evaluation: Sendable, Hashable, Codable {
        public var evaluator: Person
        /// RFC 3339, UTC.
        public var time: String
        /// `cairn` (a value given by hand), `promptfoo` or `lm-evaluation-harness`.
        public var tool: String
        public var suite: String?
        /// The dataset artifact evaluated on (`dataset/NAME@VERSION`) and its content digest.
        public var dataset: Reference?
        public var metric: String
        public var value: Double
        public var threshold: Double?
        /// `atLeast` (default) or `atMost`.
        public var direction: String?
        /// Whether the value meets `threshold` (nil without one).
        public var passed: Bool?
        /// The results file it was imported from.
        public var source: Reference?
        /// What the tool reported besides the metric (counts of passed and failed assertions, samples).
        public var details: [String: Double]?
        public var note: String?

        public init(evaluator: Person, time: String, tool: String, suite: String?, dataset: Reference?, metric: String, value: Double,
                    threshold: Double?, direction: String?, source: Reference?, details: [String: Double]?, note: String?) {
            self.evaluator = evaluator
            self.time = time
            self.tool = tool
            self.suite = suite
            self.dataset = dataset
            self.metric = metric
            self.value = value
            self.threshold = threshold
            self.direction = direction
            self.passed = threshold.map { direction == "atMost" ? value <= $0 : value >= $0 }
            self.source = source
            self.details = details
            self.note = note
        }
    }

    public struct Approval: Sendable, Hashable, Codable {
        public var approver: Person
        public var time: String
        /// The environment the approval is for; nil: any.
        public var environment: String?
        public var comment: String?

        public init(approver: Person, time: String, environment: String?, comment: String?) {
            self.approver = approver
            self.time = time
            self.environment = environment
            self.comment = comment
        }
    }

    enum CodingKeys: String, CodingKey {
        case type = "_type", subject, predicateType, predicate
    }

    public init(subject: Subject, evaluation: Evaluation) {
        type = Self.statementType
        self.subject = [subject]
        predicateType = Self.evaluationType
        self.evaluation = evaluation
    }

    public init(subject: Subject, approval: Approval) {
        type = Self.statementType
        self.subject = [subject]
        predicateType = Self.approvalType
        self.approval = approval
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        guard type == Self.statementType else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: container, debugDescription: "not an in-toto Statement v1")
        }
        subject = try container.decode([Subject].self, forKey: .subject)
        predicateType = try container.decode(String.self, forKey: .predicateType)
        switch predicateType {
        case Self.evaluationType: evaluation = try container.decode(Evaluation.self, forKey: .predicate)
        case Self.approvalType: approval = try container.decode(Approval.self, forKey: .predicate)
        default: throw DecodingError.dataCorruptedError(forKey: .predicateType, in: container, debugDescription: "an unknown predicate type")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(subject, forKey: .subject)
        try container.encode(predicateType, forKey: .predicateType)
        if let evaluation { try container.encode(evaluation, forKey: .predicate) }
        if let approval { try container.encode(approval, forKey: .predicate) }
    }

    /// One line of JSON with sorted keys: what a tag's message holds after its subject line.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// The statement in a tag message: the first line after the subject that opens a JSON object; nil when there is
    /// none or it is not a statement cairn reads. Messages over 64 KiB are not read.
    public init?(tagMessage message: String) {
        guard message.utf8.count <= 1 << 16,
              let line = message.split(separator: "\n").dropFirst().first(where: { $0.first == "{" }),
              let decoded = try? JSONDecoder().decode(Self.self, from: Data(line.utf8)) else { return nil }
        self = decoded
    }

    /// The subject's sha256, the version's cairn content digest.
    public var subjectDigest: String? { subject.first?.digest["sha256"] }

    /// Whether this statement belongs under `tag`'s name: about exactly the version the name says, of the name's kind.
    public func isFiled(under tag: EvidenceTag) -> Bool {
        subject.count == 1 && subject[0].name == tag.version.description && (tag.kind == .evaluation) == (evaluation != nil)
    }
}
