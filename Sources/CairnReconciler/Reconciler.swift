import CairnModel
import CairnRegistry
import CairnState
import Foundation
import Git2

/// Plans and applies one environment: declared state from git tags, deployed state from the store.
public struct Reconciler: Sendable {
    public let reader: RegistryReader
    public let store: any StateStore
    public let config: RegistryConfig

    public init(reader: RegistryReader, store: any StateStore, config: RegistryConfig) {
        self.reader = reader
        self.store = store
        self.config = config
    }

    /// How a plan compared declared with deployed state.
    public enum Comparison: Sendable, Equatable {
        /// Every deployed row was read and checked for drift.
        case everyRow
        /// The store is as the last plan left it (same serial, no row changed since): only the artifacts that plan had
        /// actions for and those whose declared state changed since were compared.
        case sinceLastPlan(artifacts: Int)
    }

    /// What an apply would do to `environment`, with declared state read from tags and policies from `commit`.
    /// With `sinceLastPlan`, a plan may build on the last one made here (`Comparison.sinceLastPlan`), as apply's does:
    /// while the store's serial and deployed mark are as the last plan or apply left them, no row changed since. What a
    /// plan would write is read from git and checked against its digest; when that fails (a memoized resolution that no
    /// longer holds), the state is resolved again from every tag.
    /// `loaded` is a declared state this process loaded before (the plan a command showed): an artifact with the same
    /// version, digest and registration commit takes its content from there instead of being parsed again.
    public func plan(environment: String, commit: ObjectID, sinceLastPlan: Bool = false, loaded: DeclaredState? = nil) async throws -> Planned {
        let settings = try config.require(environment: environment)
        var attempt = 0
        while true {
            attempt += 1
            let resolved = try DeclaredResolution.resolve(environment: environment, reader: reader, isProtected: settings.policy.isProtected,
                                                          commit: commit, fromScratch: attempt > 1)
            // The mark is read before the rows: a change in between moves it, and the next plan does not build on this one.
            let serial = try await store.serial(environment: environment)
            let mark = try await store.deployedMark(environment: environment)
            var compared: Set<ArtifactID>?
            var declared: DeclaredState
            var deployed: [ArtifactID: StoredArtifact]
            if sinceLastPlan, let ids = resolved.sinceLastPlan(store: store.identity, serial: serial, mark: mark) {
                compared = ids
                declared = resolved.subset(ids)
                deployed = Planner.index(try await store.deployed(environment: environment, ids: ids))
            } else {
                declared = resolved.state
                deployed = Planner.index(try await store.deployed(environment: environment, content: false))
            }
            // Digests decide what changes; only what will be written is parsed, and only what it replaces is read.
            let changing = Planner.changing(declared: declared.artifacts, deployed: deployed)
            if let loaded { declared.reuse(loaded, for: changing) }
            let mismatched = try declared.load(changing, reader: reader)
            if !mismatched.isEmpty || !resolved.isIntact {
                if attempt == 1 { continue }
                declared.problems += mismatched.sorted().map {
                    PlanProblem(.contentMismatch, subject: $0.description, message: "\($0): its file is not at its registration commit as resolved; run 'cairn validate'")
                }
            }
            if compared == nil {
                for row in try await store.deployed(environment: environment, ids: Set(changing.filter { deployed[$0] != nil })) {
                    deployed[row.artifact.id]?.artifact.content = row.artifact.content
                }
            }
            let plan = Planner.plan(environment: environment, commit: commit.hex, serial: serial, declared: declared.artifacts,
                                    deployed: deployed, problems: declared.problems)
            resolved.recordPlan(store: store.identity, serial: serial, mark: mark, pending: Set(plan.actions.map(\.id)))
            let problems = declared.problems, whole = compared == nil ? declared : nil
            return Planned(plan: plan, declared: declared, declaredCount: { resolved.count },
                           declaredDigest: {
                               // Of every declared artifact, also when only some were compared.
                               var state = whole ?? resolved.state
                               state.problems = problems
                               return state.digest
                           },
                           resolution: resolved.how, comparison: compared.map { .sinceLastPlan(artifacts: $0.count) } ?? .everyRow, resolved: resolved,
                           mark: mark)
        }
    }

    /// A plan, and what it was made from.
    public struct Planned: Sendable {
        public var plan: Plan
        /// The declared state the plan compared: all of it, or (`Comparison.sinceLastPlan`) the artifacts compared.
        public var declared: DeclaredState
        /// How many artifacts are declared in all (counted when asked).
        public var declaredCount: @Sendable () -> Int
        /// `DeclaredState.digest` of everything declared, with this plan's problems (computed when asked).
        public var declaredDigest: @Sendable () -> String
        public var resolution: DeclaredResolution.How
        public var comparison: Comparison
        /// Where the declared state came from, and the store's deployed mark the plan read: for apply to record what it left.
        let resolved: DeclaredResolution
        let mark: [UInt8]?
    }

    /// The outcome of an apply.
    public enum Outcome: Sendable, Equatable {
        case noChanges
        case applied(serial: Int, actions: Int)
    }

    /// Why an apply did not happen.
    public enum Refusal: Error, CustomStringConvertible, Sendable {
        case stalePlan(String)
        case problems([PlanProblem])
        case policy(PolicyEngine.Refusal)
        case wouldPruneEverything(Int)
        case wrongEnvironment(plan: String, requested: String)

        public var description: String {
            switch self {
            case .stalePlan(let why): "the saved plan is stale: \(why); run 'cairn plan' again"
            case .problems(let problems): "declared state has problems:\n  " + problems.map(\.message).joined(separator: "\n  ")
            case .policy(let refusal): refusal.description
            case .wrongEnvironment(let plan, let requested):
                "the saved plan is for '\(plan)', not '\(requested)'; apply it with --env \(plan), or run 'cairn plan --env \(requested)'"
            case .wouldPruneEverything(let count): "the plan prunes all \(count) deployed artifacts; pass --allow-empty if that is intended"
            }
        }
    }

    /// How long an apply's lease holds unless told otherwise: long enough for a 10,000-artifact apply on a slow
    /// machine, short enough that another machine takes over soon after a holder dies there.
    public static let defaultLeaseSeconds = 60

    /// Applies `expected` (a saved plan, or one just made) atomically under the environment's lease.
    /// Policies are checked before anything is written; a refusal is audited and nothing else is written.
    ///
    /// `loaded`: the declared state of a plan this process made and showed (see `plan`), so that its content is not
    /// parsed twice. `leaseSeconds`: how long the lease holds; it is renewed every third of that while the apply runs
    /// (`keep`). An apply that stalls past it may be taken over, and is then refused at its commit (the store checks the
    /// lease's fence).
    public func apply(environment: String, commit: ObjectID, expected: Plan?, actor: String, allowEmpty: Bool,
                      now: Int64 = Int64(Date().timeIntervalSince1970), loaded: DeclaredState? = nil,
                      leaseSeconds: Int = Reconciler.defaultLeaseSeconds) async throws -> Outcome {
        let lease = try await store.acquireLease(environment: environment, holder: actor, seconds: leaseSeconds)
        let renewing = Self.keeping(lease, seconds: leaseSeconds, store: store)
        func giveBack() async {
            renewing.cancel()
            await renewing.value
            try? await store.releaseLease(lease)
        }
        do {
            let outcome = try await apply(environment: environment, commit: commit, expected: expected, actor: actor, allowEmpty: allowEmpty, now: now,
                                          loaded: loaded, holding: lease)
            await giveBack()
            return outcome
        } catch {
            await giveBack()
            throw error
        }
    }

    /// Starts `keep` on a thread of its own (`LeaseKeeper`), not on Swift's few shared ones: the apply it keeps the
    /// lease for does long synchronous work there, and a renewal must not wait behind it. Cancel the task to stop.
    public static func keeping(_ lease: Lease, seconds: Int, store: any StateStore) -> Task<Void, Never> {
        Task(executorPreference: LeaseKeeper.shared) { await keep(lease, seconds: seconds, store: store) }
    }

    /// Renews `lease` every third of its time until cancelled, so that an apply longer than its lease (a slow
    /// machine, a large first apply) keeps it while its process lives; a holder that dies stops renewing and is
    /// replaced once the lease runs out. A failed renewal is tried again at the next turn; a lease found lost
    /// ends the loop (the apply's commit is then refused by the fence).
    public static func keep(_ lease: Lease, seconds: Int, store: any StateStore) async {
        let period = Duration.milliseconds(max(200, seconds * 1000 / 3))
        while true {
            do { try await Task.sleep(for: period) } catch { return }
            do {
                try await store.renewLease(lease, seconds: seconds)
            } catch StateError.leaseLost {
                return
            } catch {
                continue
            }
        }
    }

    /// The apply itself, while `lease` is held.
    private func apply(environment: String, commit: ObjectID, expected: Plan?, actor: String, allowEmpty: Bool, now: Int64,
                       loaded: DeclaredState?, holding lease: Lease) async throws -> Outcome {
        // On the last plan when the store's serial and mark are as that plan saw them (no row changed since, by cairn or
        // by hand): the artifacts it had actions for and those declared anew are compared, the rest are known equal.
        let planned = try await self.plan(environment: environment, commit: commit, sinceLastPlan: true, loaded: loaded)
        let (plan, declared) = (planned.plan, planned.declared)
        func refuse(_ refusal: Refusal, artifact: String = "") async throws -> Never {
            try await store.appendAudit([AuditDraft(time: now, actor: actor, action: .refuse, environment: environment, artifact: artifact,
                                                    commit: commit.hex, planSummary: plan.summary, compliance: JSONValue.quoted(refusal.description))])
            throw refusal
        }
        if let expected {
            if expected.environment != environment {
                try await refuse(.wrongEnvironment(plan: expected.environment, requested: environment))
            }
            if expected.commit != plan.commit { try await refuse(.stalePlan("it was made at commit \(expected.commit.prefix(7)), the ref is now at \(plan.commit.prefix(7))")) }
            if expected.serial != plan.serial { try await refuse(.stalePlan("the store's serial moved from \(expected.serial) to \(plan.serial)")) }
            if let difference = Self.firstDifference(saved: expected, fresh: plan) { try await refuse(.stalePlan(difference)) }
        }
        let (refusal, engine, candidates) = try await judge(planned, allowEmpty: allowEmpty, now: now)
        if let refusal {
            if case .policy(let policy) = refusal { try await refuse(refusal, artifact: policy.artifact) }
            try await refuse(refusal)
        }
        guard plan.hasChanges else { return .noChanges }
        // What each deployment relied on (signed promotion, approvals, evaluations) goes into its audit record.
        var relied: [ArtifactVersion: JSONValue] = [:]
        for candidate in candidates { relied[candidate.version] = engine?.reliedOn(candidate) }

        let summary = plan.summary
        var upserts: [DeployedArtifact] = []
        var deletions: [ArtifactID] = []
        var audit: [AuditDraft] = []
        for action in plan.actions {
            if let want = action.declared {
                upserts.append(DeployedArtifact(version: want.version, digest: want.digest, content: want.content, commit: want.commit,
                                                tag: want.tag, deployedBy: actor, deployedAt: now))
                audit.append(AuditDraft(time: now, actor: actor, action: action.repairsDrift ? .driftRepair : .apply, environment: environment,
                                        artifact: want.version.description, digest: want.digest, commit: want.commit, tag: want.tag,
                                        planSummary: summary, compliance: Self.complianceSnapshot(declared.documents[action.id], evidence: relied[want.version])))
            } else {
                deletions.append(action.id)
                audit.append(AuditDraft(time: now, actor: actor, action: .prune, environment: environment,
                                        artifact: "\(action.id)@\(action.from!)", commit: commit.hex, planSummary: summary))
            }
        }
        let committed = try await store.write(StateChange(environment: environment, expectedSerial: plan.serial, upserts: upserts, deletions: deletions,
                                                          audit: audit, lease: lease))
        // No row changed between the plan's look at the store and this change (the mark the change found is the one the
        // plan read), and the change wrote every action: the store holds what is declared, as of the mark it left. The
        // next plan builds on that; any later change to a row moves the mark.
        if committed.previousMark == planned.mark {
            planned.resolved.recordPlan(store: store.identity, serial: committed.serial, mark: committed.mark, pending: [])
        }
        return .applied(serial: committed.serial, actions: plan.actions.count)
    }

    /// Why `planned` may not be applied: the checks apply makes, in its order, before it writes anything (problems in
    /// the declared state, the environment's policies, a plan that would prune everything); nil when it may. A command
    /// that asks before applying asks this first, so that it never asks about a plan apply would refuse.
    public func refusal(_ planned: Planned, allowEmpty: Bool, now: Int64 = Int64(Date().timeIntervalSince1970)) async throws -> Refusal? {
        try await judge(planned, allowEmpty: allowEmpty, now: now).refusal
    }

    /// `refusal`, with the engine that judged the plan and the candidates it judged (nil and none when the plan's
    /// problems stopped it first).
    func judge(_ planned: Planned, allowEmpty: Bool, now: Int64) async throws
        -> (refusal: Refusal?, engine: PolicyEngine?, candidates: [PolicyEngine.Candidate]) {
        let (plan, declared, environment) = (planned.plan, planned.declared, planned.plan.environment)
        if !plan.problems.isEmpty { return (.problems(plan.problems), nil, []) }
        var engine = try await policyEngine(for: environment, now: now)
        var candidates = plan.actions.compactMap { action in
            action.declared.map { PolicyEngine.Candidate(version: $0.version, document: declared.documents[action.id] ?? .null,
                                                         assignment: DeclaredState.Source.requirer($0.tag) == nil ? $0.tag : nil) }
        }
        // The tags, read once and only when a policy needs their messages or objects.
        var read: [TagEvent]?
        func events() throws -> [TagEvent] {
            if let read { return read }
            read = try reader.tagEvents()
            return read!
        }
        if let commit = ObjectID(hex: plan.commit) {
            try await TagSignatures.gather(candidates, into: &engine, events: events, reader: reader, config: config, policyCommit: commit, store: store, now: now)
        }
        // Assignments that skipped the order say so in their tag's message; read only when the order could refuse one.
        if let previous = engine.previous,
           candidates.contains(where: { $0.assignment != nil && !previous.live.contains($0.version) }) {
            var skipReasons: [String: String] = [:]
            for event in try events() {
                if case .assign = event.tag, let reason = PolicyEngine.skipReason(inTagMessage: event.message) { skipReasons[event.name] = reason }
            }
            candidates = candidates.map { PolicyEngine.Candidate(version: $0.version, document: $0.document, assignment: $0.assignment,
                                                                  skipReason: $0.assignment.flatMap { skipReasons[$0] }) }
        }
        if let refusal = engine.check(candidates) { return (.policy(refusal), engine, candidates) }
        // What is pruned because an unassignment withdrew it: that tag is held to the signature policies too.
        let pruning = Set(plan.actions.filter { $0.kind == .prune }.map(\.id))
        if engine.environment.policy.requiresSignedAssignments, !pruning.isEmpty, let commit = ObjectID(hex: plan.commit) {
            let withdrawals = EnvironmentAssignments.withdrawals(try events(), environment: environment, of: pruning)
                .compactMap { id, event in event.object.map { (id: id, name: event.name, object: $0) } }
            engine.signatures.merge(try await TagSignatures.judge(withdrawals.map { ($0.name, $0.object) }, reader: reader, config: config,
                                                                  policyCommit: commit, store: store, now: now)) { _, new in new }
            if let refusal = engine.checkWithdrawals(withdrawals.map { ($0.id.description, $0.name) }) { return (.policy(refusal), engine, candidates) }
        }
        if planned.declaredCount() == 0, !pruning.isEmpty, !allowEmpty { return (.wouldPruneEverything(pruning.count), engine, candidates) }
        return (nil, engine, candidates)
    }

    /// The policies of `environment`, with what is deployed in the one before it when a policy reads that.
    public func policyEngine(for environment: String, now: Int64) async throws -> PolicyEngine {
        let settings = try config.require(environment: environment)
        var previous: PolicyEngine.Previous?
        if settings.policy.promoteFromPrevious, let name = config.environment(before: environment) {
            previous = PolicyEngine.Previous(name: name, live: Set(try await store.deployed(environment: name, content: false).map(\.artifact.version)))
        }
        return PolicyEngine(environment: settings, previous: previous, now: now)
    }

    /// What the audit keeps of an artifact's accountability: its owner and its whole compliance block.
    /// With `evidence`, what the policies relied on to let it in (`PolicyEngine.reliedOn`).
    static func complianceSnapshot(_ document: JSONValue?, evidence: JSONValue? = nil) -> String {
        var snapshot: [String: JSONValue] = [
            "owner": document?["metadata"]?["owner"] ?? .null,
            "compliance": document?["compliance"] ?? .object([:]),
        ]
        if let evidence { snapshot["evidence"] = evidence }
        return JSONValue.object(snapshot).canonicalJSON
    }

    /// What a plan would write, for comparing a saved plan with a fresh one.
    static func signature(_ plan: Plan) -> [String] {
        plan.actions.map { "\($0.kind.rawValue) \($0.id) \($0.to.map(\.description) ?? "-") \($0.declared?.digest ?? "-")" }
    }

    /// The first action on which a saved plan and a fresh one (same commit, same serial) differ, said so that the
    /// user can tell which side moved; nil when they agree. Either the tags or the deployed rows changed: a row
    /// edited behind cairn's back does not move the serial.
    static func firstDifference(saved: Plan, fresh: Plan) -> String? {
        let old = signature(saved), new = signature(fresh)
        guard old != new else { return nil }
        func describe(_ action: PlanAction?) -> String {
            guard let action else { return "nothing more" }
            let version = action.to.map { "@\($0)" } ?? action.from.map { "@\($0)" } ?? ""
            let drift = action.repairsDrift ? " (repairing drift in the deployed row)" : ""
            return "\(action.kind.rawValue) \(action.id)\(version)\(drift)"
        }
        let index = (0..<min(old.count, new.count)).first { old[$0] != new[$0] } ?? min(old.count, new.count)
        let savedAction = index < saved.actions.count ? saved.actions[index] : nil
        let freshAction = index < fresh.actions.count ? fresh.actions[index] : nil
        let cause = (freshAction?.repairsDrift ?? false) || (savedAction?.repairsDrift ?? false)
            ? "a deployed row was changed outside cairn" : "the tags or the deployed rows changed since it was made"
        return "it would \(describe(savedAction)), a plan made now would \(describe(freshAction)) (\(cause))"
    }
}

/// Where lease renewals run: a serial dispatch queue (its own thread), so that renewals keep time however busy
/// Swift's cooperative threads are.
final class LeaseKeeper: TaskExecutor {
    static let shared = LeaseKeeper()
    private let queue = DispatchQueue(label: "cairn.lease-keeper")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

