/// One artifact document, typed: what every kind shares plus its kind's spec.
/// Built from a document that passed its schema (see `ArtifactDecoder` in CairnManifest).
public struct Artifact: Sendable, Hashable {
    public var apiVersion: String
    public var metadata: Metadata
    public var compliance: Compliance
    public var spec: Spec

    public init(apiVersion: String, metadata: Metadata, compliance: Compliance, spec: Spec) {
        (self.apiVersion, self.metadata, self.compliance, self.spec) = (apiVersion, metadata, compliance, spec)
    }

    /// The kind-specific part.
    public enum Spec: Sendable, Hashable {
        case promptTemplate(PromptTemplateSpec)
        case chain(ChainSpec)
        case adapter(AdapterSpec)
        case datasetManifest(DatasetManifestSpec)
        case deployment(DeploymentSpec)

        public var kind: ArtifactKind {
            switch self {
            case .promptTemplate: .promptTemplate
            case .chain: .chain
            case .adapter: .adapter
            case .datasetManifest: .datasetManifest
            case .deployment: .deployment
            }
        }
    }

    public var kind: ArtifactKind { spec.kind }
    public var id: ArtifactID { ArtifactID(kind: kind, name: metadata.name) }
}

/// `metadata`: identity, version and ownership.
public struct Metadata: Sendable, Hashable, Codable {
    public var name: String
    public var version: String
    public var owner: String
    public var description: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
}

/// `compliance` (DESIGN §4): who is accountable, what it is for, its risk class, licence, data and approvals.
public struct Compliance: Sendable, Hashable, Codable {
    public var accountable: String?
    public var intendedUse: String?
    public var outOfScopeUse: [String]?
    /// EU AI Act risk class: minimal, limited, high, prohibited or gpai.
    public var riskClass: String
    /// SPDX license expression.
    public var license: String?
    public var dataClassification: String?
    public var pii: PersonalData?
    public var retention: Retention?
    public var evaluations: [Evaluation]?
    public var approvals: [Approval]?

    /// Whether `field` (a name `requiredCompliance` may list) is recorded: present, and not an empty text or list.
    public func records(_ field: String) -> Bool {
        func text(_ value: String?) -> Bool { !(value ?? "").isEmpty }
        func list<T>(_ value: [T]?) -> Bool { !(value ?? []).isEmpty }
        switch field {
        case "accountable": return text(accountable)
        case "intendedUse": return text(intendedUse)
        case "outOfScopeUse": return list(outOfScopeUse)
        case "riskClass": return text(riskClass)
        case "license": return text(license)
        case "dataClassification": return text(dataClassification)
        case "pii": return pii != nil
        case "retention": return retention != nil
        case "evaluations": return list(evaluations)
        case "approvals": return list(approvals)
        default: return false
        }
    }

    /// An evaluation as the author wrote it (a claim: nothing checks that it ran).
    public struct Evaluation: Sendable, Hashable, Codable {
        public var name: String
        /// The dataset it ran on (`dataset/NAME@VERSION`).
        public var dataset: String?
        public var metric: String
        public var value: Double
        /// The value the metric had to reach.
        public var threshold: Double?
        /// When (RFC 3339) and by whom it ran.
        public var at: String?
        public var by: String?
        /// Where its full report is.
        public var report: String?
    }

    /// A sign-off as the author wrote it (a claim: nothing checks who wrote it): who approved `by`, `at` what time
    /// (RFC 3339), on which pull request (`pr`), and in which `role` (e.g. "security", "legal").
    public struct Approval: Sendable, Hashable, Codable {
        public var by, at: String
        public var pr, role: String?
    }
}

/// Whether data `contains` personal information, which `categories` (e.g. "email", "name"), and its `handling`
/// (masked, pseudonymised, ...).
public struct PersonalData: Sendable, Hashable, Codable {
    public var contains: Bool, categories: [String]?, handling: String?
}

/// How long data or logs are kept: for a number of `days`, or `until` a date, under the named `policy`.
public struct Retention: Sendable, Hashable, Codable {
    public var days: Int?, until: String?, policy: String?
}
