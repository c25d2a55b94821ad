import CairnManifest
import CairnModel
import CairnTrust

/// An environment's policies (`cairn.yaml`), one function each, over the typed artifact model. `promote` (before it
/// writes a tag), `apply` (before it writes a row) and the server's pre-receive hook (before it takes a pushed
/// assignment) all ask `check`, with the same inputs, so that none of them accepts what another refuses; the policy
/// judged where a reference is written (`protected`, `exactPins`) is asked by their walk and by validation.
///
/// **Live in the previous environment** means *deployed* there: the store's row for the artifact holds that version.
/// An assignment that was never applied has not run anywhere, so it cannot vouch for the next environment. A version
/// may enter an environment whose policy has `promoteFromPrevious` when it is live in the environment before it, or
/// when its assignment tag records why the order was skipped (`order skipped: REASON`, written by
/// `cairn promote --skip-order --reason`, kept in git and in the audit trail). Only what an environment is assigned
/// directly is held to the order: what it runs because an assigned artifact requires it comes with its dependent.
public struct PolicyEngine: Sendable {
    /// The policies, as `cairn.yaml` names them.
    public enum Policy: String, Sendable, Hashable {
        case freezeWindows, requiredCompliance, minApprovals, forbiddenRiskClasses, gatesMustPass, promoteFromPrevious, signedPromotions, promoters
        case `protected`
    }

    /// Why a change may not go into the environment: which policy, which artifact, and what to do.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        public let policy: Policy
        public let artifact: String
        public let message: String

        public init(policy: Policy, artifact: String, message: String) {
            self.policy = policy
            self.artifact = artifact
            self.message = message
        }

        public var description: String {
            "refused by policy '\(policy.rawValue)'\(artifact.isEmpty ? "" : " for \(artifact)"): \(message)"
        }
    }

    /// One version a change would deploy: its document, and the assignment tag that names it (nil when the
    /// environment runs it because an artifact it runs requires it).
    public struct Candidate: Sendable {
        public let version: ArtifactVersion
        public let document: JSONValue
        public let assignment: String?
        /// The reason the assignment's tag records for skipping the promotion order, if any.
        public let skipReason: String?

        public init(version: ArtifactVersion, document: JSONValue, assignment: String?, skipReason: String? = nil) {
            self.version = version
            self.document = document
            self.assignment = assignment
            self.skipReason = skipReason
        }
    }

    /// The environment before this one and what is live there.
    public struct Previous: Sendable {
        public let name: String
        /// What counts as live there: deployed versions (the store's rows), or, for a pre-receive hook that can
        /// see no store, the versions its tags assign (then only what cannot be live is refused; apply still checks).
        public let live: Set<ArtifactVersion>
        public let isDeployedState: Bool

        public init(name: String, live: Set<ArtifactVersion>, isDeployedState: Bool = true) {
            self.name = name
            self.live = live
            self.isDeployedState = isDeployedState
        }
    }

    /// The field of an assignment tag's message that records a skipped order.
    public static let skipField = "order skipped"

    /// The reason recorded in an assignment tag's message for skipping the order, if any.
    public static func skipReason(inTagMessage message: String) -> String? {
        TagMessage(parsing: message)[skipField].flatMap { $0.isEmpty ? nil : $0 }
    }

    public let environment: RegistryConfig.Environment
    /// nil for the first environment (nothing comes before it).
    public let previous: Previous?
    /// Seconds since 1970, for freeze windows.
    public let now: Int64

    /// The verdict on each assignment tag's signature, by tag name, judged by the caller against the allowed signers
    /// at the policy commit (`signedPromotions`, `promoters`); a tag missing here is refused as not checked.
    public var signatures: [String: TagTrust]
    /// The evidence tags about the candidates the evidence policies judge (`minApprovals`, `gatesMustPass`), by version;
    /// their signatures' verdicts are in `signatures`, by tag name.
    public var evidence: [ArtifactVersion: [EvidenceRecord]]
    /// The email of the author of the commit that introduced each version (for `approvals.excludeAuthor`).
    public var authors: [ArtifactVersion: String]

    public init(environment: RegistryConfig.Environment, previous: Previous?, now: Int64, signatures: [String: TagTrust] = [:],
                evidence: [ArtifactVersion: [EvidenceRecord]] = [:], authors: [ArtifactVersion: String] = [:]) {
        self.environment = environment
        self.previous = previous
        self.now = now
        self.signatures = signatures
        self.evidence = evidence
        self.authors = authors
    }

    /// Whether the evidence policies need the evidence about `candidate`: approvals of what is assigned directly,
    /// evaluations of deployments (their gates).
    public func needsEvidence(_ candidate: Candidate) -> Bool {
        (environment.policy.minApprovals > 0 && candidate.assignment != nil)
            || (environment.policy.gatesMustPass && candidate.version.id.kind == .deployment)
    }

    /// The first refusal for deploying `candidates` (in their order), or nil.
    public func check(_ candidates: [Candidate]) -> Refusal? {
        if let refusal = freezeWindows() { return refusal }
        let policy = environment.policy
        let readsDocuments = !policy.requiredCompliance.isEmpty || policy.minApprovals > 0 || !policy.forbiddenRiskClasses.isEmpty
            || policy.gatesMustPass
        let documentChecks = [requiredCompliance, forbiddenRiskClasses]
        for candidate in candidates {
            if readsDocuments {
                // Candidates come from the declared state, which holds cairn's artifacts only (a tag-only one has no document).
                guard let kind = candidate.version.id.kind else { continue }
                let artifact: Artifact
                do {
                    artifact = try ArtifactDecoder.decode(candidate.document, kind: kind)
                } catch {
                    return Refusal(policy: .requiredCompliance, artifact: candidate.version.description,
                                   message: "its document does not have the shape of a \(kind.rawValue); run 'cairn validate'")
                }
                for check in documentChecks {
                    if let refusal = check(candidate.version, artifact) { return refusal }
                }
                if let refusal = gatesMustPass(candidate, artifact) ?? minApprovals(candidate, artifact) { return refusal }
            }
            if let refusal = promoteFromPrevious(candidate) { return refusal }
            if let refusal = signedPromotions(candidate) { return refusal }
        }
        return nil
    }

    /// `protected`: the environment runs exact pins only, through the whole closure of what it is assigned, since a
    /// range could later resolve to a version nobody reviewed for it. Judged where a reference is written: by
    /// resolution (plan, apply, promote, the pre-receive check) on each version it walks to, and by validation on
    /// each file in the closure of a deployment that names the environment. `dependent` is the version whose file
    /// holds the reference.
    public static func exactPins(_ reference: ArtifactReference, field: String, text: String, of dependent: ArtifactVersion,
                                 in environment: RegistryConfig.Environment) -> Refusal? {
        guard environment.policy.isProtected, !reference.requirement.isExact else { return nil }
        return Refusal(policy: .protected, artifact: dependent.description,
                       message: "\(field): '\(text)' is a range; '\(environment.name)' is protected and accepts exact pins only")
    }

    /// Nothing enters the environment during one of its freeze windows.
    func freezeWindows() -> Refusal? {
        for window in environment.policy.freezeWindows {
            guard let from = Timestamp.seconds(window.from), let until = Timestamp.seconds(window.until), now >= from, now <= until else { continue }
            return Refusal(policy: .freezeWindows, artifact: "",
                           message: "'\(environment.name)' is frozen from \(window.from) until \(window.until)\(window.reason.map { " (\($0))" } ?? "")")
        }
        return nil
    }

    /// Every compliance field the environment names is recorded.
    func requiredCompliance(_ version: ArtifactVersion, _ artifact: Artifact) -> Refusal? {
        for field in environment.policy.requiredCompliance where !artifact.compliance.records(field) {
            return Refusal(policy: .requiredCompliance, artifact: version.description,
                           message: "compliance.\(field) is required in '\(environment.name)'; add it and bump the version")
        }
        return nil
    }

    /// The artifact's risk class is not one the environment forbids.
    func forbiddenRiskClasses(_ version: ArtifactVersion, _ artifact: Artifact) -> Refusal? {
        let risk = artifact.compliance.riskClass
        guard environment.policy.forbiddenRiskClasses.contains(risk) else { return nil }
        return Refusal(policy: .forbiddenRiskClasses, artifact: version.description, message: "risk class '\(risk)' may not run in '\(environment.name)'")
    }

    /// What is assigned directly has approvals signed by at least `minApprovals` distinct principals, for its exact
    /// digest and for this environment (or any): each approval tag's signature verifies against the allowed signers,
    /// its signer is among `approvers` (when named) and, with `excludeAuthor`, is not the author of the commit that
    /// introduced the version. What the YAML says under `compliance.approvals` is a claim and is never counted.
    func minApprovals(_ candidate: Candidate, _ artifact: Artifact) -> Refusal? {
        let policy = environment.policy
        guard policy.minApprovals > 0, candidate.assignment != nil else { return nil }
        let digest = ContentDigest.of(candidate.document)
        var counted = Set<String>(), notCounted: [String] = []
        for record in evidence[candidate.version] ?? [] {
            guard let approval = record.statement.approval, record.isAbout(candidate.version, digest: digest),
                  approval.environment == nil || approval.environment == environment.name else { continue }
            guard case .verified(let signer)? = signatures[record.name] else {
                notCounted.append("\(record.name): \(signatures[record.name].map { if case .refused(let why) = $0 { why.description } else { "" } } ?? "not checked")")
                continue
            }
            if !policy.approvers.isEmpty, !policy.approvers.contains(where: { AllowedSigners.matches(signer.principal, patterns: $0) }) {
                notCounted.append("\(record.name): \(signer.principal) is not among the approvers of '\(environment.name)'")
            } else if policy.approvalsExcludeAuthor, let author = authors[candidate.version], author.lowercased() == signer.principal.lowercased() {
                notCounted.append("\(record.name): \(signer.principal) wrote the commit that introduced it")
            } else {
                counted.insert(signer.principal)
            }
        }
        guard counted.count < policy.minApprovals else { return nil }
        let claims = artifact.compliance.approvals?.count ?? 0
        var message = "\(candidate.version) (sha256:\(digest.prefix(12))) has \(counted.count) distinct signed approval\(counted.count == 1 ? "" : "s") for '\(environment.name)'"
            + (counted.isEmpty ? "" : " (\(counted.sorted().joined(separator: ", ")))") + ", needs \(policy.minApprovals)"
        if !notCounted.isEmpty { message += "; not counted: " + notCounted.joined(separator: "; ") }
        if claims > 0 { message += "; its YAML claims \(claims) approval\(claims == 1 ? "" : "s"), which are not counted" }
        message += "; record one with 'cairn approve \(candidate.version) --env \(environment.name) --sign'"
        return Refusal(policy: .minApprovals, artifact: candidate.version.description, message: message)
    }

    /// Every gate of a deployment is met by evidence: the latest evaluation record of its exact digest for the gate's
    /// metric, on a version of the gate's dataset the gate accepts, meets the gate's threshold in its direction. In an
    /// environment that takes signed assignments only, the record must be signed by an allowed signer too. What the
    /// YAML says under `gates[].result` is a claim and is never counted.
    func gatesMustPass(_ candidate: Candidate, _ artifact: Artifact) -> Refusal? {
        guard environment.policy.gatesMustPass, case .deployment(let spec) = artifact.spec else { return nil }
        let digest = ContentDigest.of(candidate.document)
        let signedOnly = environment.policy.requiresSignedAssignments
        for gate in spec.gates ?? [] {
            let wanted = ArtifactReference(gate.dataset)
            let records = (evidence[candidate.version] ?? []).filter { record in
                guard let evaluation = record.statement.evaluation, record.isAbout(candidate.version, digest: digest), evaluation.metric == gate.metric,
                      let dataset = evaluation.dataset.flatMap({ ArtifactVersion($0.name) }), let wanted,
                      dataset.id == wanted.id, wanted.requirement.accepts(dataset.version) else { return false }
                if signedOnly, case .verified? = signatures[record.name] { return true }
                return !signedOnly
            }
            let atMost = gate.direction == "atMost"
            let needs = "\(atMost ? "at most" : "at least") \(JSONValue.format(gate.threshold))"
            guard let latest = records.last, let value = latest.statement.evaluation?.value else {
                let claim = gate.result.map { "; its YAML claims \(JSONValue.format($0.value)), which is not counted" } ?? ""
                return Refusal(policy: .gatesMustPass, artifact: candidate.version.description,
                               message: "gate '\(gate.metric)' on \(gate.dataset) has no \(signedOnly ? "signed " : "")evaluation record of \(candidate.version) (sha256:\(digest.prefix(12)))\(claim); "
                                   + "record one with 'cairn evidence add \(candidate.version) --metric \(gate.metric) --value V --dataset DATASET@VERSION\(signedOnly ? " --sign" : "")'")
            }
            guard atMost ? value <= gate.threshold : value >= gate.threshold else {
                return Refusal(policy: .gatesMustPass, artifact: candidate.version.description,
                               message: "gate '\(gate.metric)': the latest evaluation of \(candidate.version) (sha256:\(digest.prefix(12))), \(latest.name), scored \(JSONValue.format(value)), needs \(needs)")
            }
        }
        return nil
    }

    /// A version assigned to the environment is live in the previous one, or its tag records why the order was skipped.
    func promoteFromPrevious(_ candidate: Candidate) -> Refusal? {
        guard environment.policy.promoteFromPrevious, let previous, candidate.assignment != nil, candidate.skipReason == nil,
              !previous.live.contains(candidate.version) else { return nil }
        let how = previous.isDeployedState ? "not deployed there" : "not even assigned there"
        return Refusal(policy: .promoteFromPrevious, artifact: candidate.version.description,
                       message: "\(candidate.version) is not live in '\(previous.name)' (\(how)); apply it there first, or promote with --skip-order --reason")
    }

    /// An assignment tag carries a signature the allowed signers accept for its tagger (`signedPromotions`), by one of
    /// the environment's `promoters` when it names any. What comes with a dependent is judged by its dependent's tag.
    func signedPromotions(_ candidate: Candidate) -> Refusal? {
        guard let tag = candidate.assignment else { return nil }
        return signedAssignment(tag, artifact: candidate.version.description)
    }

    /// The unassignment tags that withdraw what a change prunes (artifact, tag) are held to `signedPromotions` and
    /// `promoters` as assignments are: an unsigned one could otherwise empty a protected environment.
    public func checkWithdrawals(_ withdrawals: [(artifact: String, tag: String)]) -> Refusal? {
        for withdrawal in withdrawals {
            if let refusal = signedAssignment(withdrawal.tag, artifact: withdrawal.artifact) { return refusal }
        }
        return nil
    }

    private func signedAssignment(_ tag: String, artifact: String) -> Refusal? {
        let policy = environment.policy
        guard policy.requiresSignedAssignments else { return nil }
        switch signatures[tag] {
        case nil:
            return Refusal(policy: .signedPromotions, artifact: artifact, message: "its tag \(tag) was not checked for a signature")
        case .refused(let problem)?:
            return Refusal(policy: .signedPromotions, artifact: artifact,
                           message: "'\(environment.name)' takes signed assignments only, and \(tag) is refused: \(problem); sign it ('cairn promote --sign', or git tag -s with gpg.format=ssh)")
        case .verified(let signer)?:
            guard !policy.promoters.isEmpty, !policy.promoters.contains(where: { AllowedSigners.matches(signer.principal, patterns: $0) }) else { return nil }
            return Refusal(policy: .promoters, artifact: artifact,
                           message: "\(tag) is signed by \(signer.principal) (\(signer.fingerprint)), who is not among the promoters of '\(environment.name)' (\(policy.promoters.joined(separator: ", ")))")
        }
    }

    /// The evidence a verdict on `candidate` relied on, for the audit record of its deployment: the assignment tag's
    /// signer, the approvals counted, and the evaluation records that met its gates; nil when none was read.
    public func reliedOn(_ candidate: Candidate) -> JSONValue? {
        var relied: [String: JSONValue] = [:]
        func signer(_ tag: String) -> JSONValue { signatures[tag]?.signerJSON ?? .null }
        if let tag = candidate.assignment, signatures[tag] != nil {
            relied["promotion"] = .object(["tag": .string(tag), "signer": signer(tag)])
        }
        let records = evidence[candidate.version] ?? []
        if !records.isEmpty {
            let digest = ContentDigest.of(candidate.document)
            let bound = records.filter { $0.isAbout(candidate.version, digest: digest) }
            let approvals = bound.filter { record in
                guard let approval = record.statement.approval, approval.environment == nil || approval.environment == environment.name,
                      case .verified? = signatures[record.name] else { return false }
                return true
            }
            if !approvals.isEmpty { relied["approvals"] = .array(approvals.map { .object(["tag": .string($0.name), "signer": signer($0.name)]) }) }
            // The latest record per metric and dataset: what a gate reads.
            var latest: [String: EvidenceRecord] = [:]
            for record in bound {
                guard let evaluation = record.statement.evaluation else { continue }
                latest[evaluation.metric + " " + (evaluation.dataset?.name ?? "")] = record
            }
            if !latest.isEmpty {
                relied["evaluations"] = .array(latest.values.sorted { $0.name < $1.name }.map { record in
                    let evaluation = record.statement.evaluation!
                    return .object(["tag": .string(record.name), "metric": .string(evaluation.metric), "value": .number(evaluation.value),
                                    "dataset": evaluation.dataset.map { .string($0.name) } ?? .null, "signer": signer(record.name)])
                })
            }
        }
        return relied.isEmpty ? nil : .object(relied)
    }
}
