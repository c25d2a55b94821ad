import CairnModel
import CairnReconciler
@testable import CairnRegistry
import CairnState
import CairnTestSupport
import Foundation
import Git2
import Testing

/// registry-example in a git repo, every version registered at HEAD, and a fresh SQLite store.
struct ReconcilerFixture {
    let repo: TestRepository
    let store: SQLiteStateStore
    let reconciler: Reconciler
    let head: ObjectID

    init() throws {
        repo = try TestRepository()
        try repo.copy(from: SourceTree.registryExample, to: "registry")
        try repo.commitAll("registry")
        let location = try RegistryLocation.open(directory: repo.path, path: "registry")
        let reader = RegistryReader(location: location, cache: ValidationCache(fingerprint: "t"))
        let snapshot = try reader.read(.commit(try location.commit("HEAD")))
        for artifact in snapshot.artifacts {
            try repo.tag("\(artifact.summary.id)@v\(artifact.summary.version)", message: "register")
        }
        store = try SQLiteStateStore(path: repo.path + "/.cairn/state.sqlite", createFolders: true)
        reconciler = Reconciler(reader: reader, store: store, config: snapshot.config!)
        head = try location.commit("HEAD")
    }

    func assign(_ name: String, _ environment: String, _ counter: Int, unassign: Bool = false) throws {
        try repo.tag("\(name)#\(environment)\(unassign ? "!" : "")#\(counter)", message: "assign")
    }

    func plan(_ environment: String) async throws -> Plan { try await reconciler.plan(environment: environment, commit: head).plan }

    func apply(_ environment: String, expected: Plan? = nil, allowEmpty: Bool = false) async throws -> Reconciler.Outcome {
        try await reconciler.apply(environment: environment, commit: head, expected: expected, actor: "tester", allowEmpty: allowEmpty, now: 1_790_000_000)
    }
}

@Suite("Plan and apply")
struct ReconcilerTests {
    @Test("a deployment's closure is planned dependencies first, applied once, and a second apply is a no-op")
    func planApplyIdempotent() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("deployment/support-bot", "dev", 1)
        let plan = try await fixture.plan("dev")
        #expect(plan.problems == [])
        #expect(plan.actions.allSatisfy { $0.kind == .create })
        #expect(plan.actions.map(\.id.kindRank) == plan.actions.map(\.id.kindRank).sorted())
        #expect(plan.actions.first?.id.kind == .datasetManifest && plan.actions.last?.id.kind == .deployment)
        #expect(plan.actions.count == 8)  // deployment, chain, 3 prompts, adapter, 2 datasets
        #expect(try await fixture.apply("dev") == .applied(serial: 1, actions: 8))
        #expect(try await fixture.plan("dev").actions.isEmpty)
        #expect(try await fixture.apply("dev") == .noChanges)
        #expect(try await fixture.store.serial(environment: "dev") == 1)
        #expect(try await fixture.store.auditRecords(AuditQuery(environment: "dev")).count == 8)
        #expect(try await fixture.store.verifyAudit().firstBad == nil)
    }

    @Test("an artifact two assigned artifacts require is recorded as required by the first of them in id order")
    func requiredByIsDeterministic() async throws {
        let fixture = try ReconcilerFixture()
        // Both reference adapter/triage-lora@1.1.0; the chain sorts before the deployment.
        try fixture.assign("deployment/support-bot", "dev", 1)
        try fixture.assign("chain/support-router", "dev", 1)
        let adapter = try await fixture.plan("dev").actions.first { $0.id.description == "adapter/triage-lora" }
        #expect(adapter?.declared?.tag == "required by chain/support-router@1.4.0")
    }

    @Test("a saved plan whose serial moved is refused, and the refusal is audited")
    func stalePlan() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("deployment/support-bot", "dev", 1)
        let saved = try await fixture.plan("dev")
        _ = try await fixture.apply("dev")
        try fixture.assign("deployment/refund-bot", "dev", 1)
        await #expect(throws: Reconciler.Refusal.self) { try await fixture.apply("dev", expected: saved) }
        #expect(try await fixture.store.auditRecords(AuditQuery(environment: "dev")).last?.action == "refuse")
        #expect(try await fixture.store.serial(environment: "dev") == 1)
    }

    @Test("a plan saved for one environment is refused by another, which is left as it was")
    func planForAnotherEnvironment() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("prompt/sentiment-classify", "dev", 1)
        try fixture.assign("prompt/sentiment-classify", "staging", 2)
        let saved = try await fixture.plan("dev")
        #expect(saved.hasChanges)
        await #expect {
            _ = try await fixture.apply("staging", expected: saved)
        } throws: { error in
            guard case .wrongEnvironment(plan: "dev", requested: "staging")? = error as? Reconciler.Refusal else { return false }
            return "\(error)".contains("--env dev")
        }
        #expect(try await fixture.store.deployed(environment: "staging").isEmpty)
        #expect(try await fixture.store.serial(environment: "staging") == 0)
        #expect(try await fixture.store.auditRecords(AuditQuery(environment: "staging")).map(\.action) == ["refuse"])
        #expect(try await fixture.apply("dev", expected: saved) == .applied(serial: 1, actions: 1))
    }

    @Test("a saved plan refused because a deployed row was edited by hand says so, not that the tags moved")
    func planStaleByHandEdit() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("prompt/summarize-ticket", "dev", 1)
        try fixture.assign("prompt/sentiment-classify", "dev", 1)
        _ = try await fixture.apply("dev")
        try fixture.assign("prompt/sentiment-classify", "dev", 2, unassign: true)
        let saved = try await fixture.plan("dev")
        try TestSQL.execute(fixture.repo.path + "/.cairn/state.sqlite", "UPDATE deployed SET content = replace(content, 'Summarise', 'Ignore')")
        await #expect {
            _ = try await fixture.apply("dev", expected: saved)
        } throws: { error in
            "\(error)".contains("a deployed row was changed outside cairn") && "\(error)".contains("prompt/summarize-ticket")
        }
    }

    @Test("a policy refusal names the policy and the artifact, writes an audit record and nothing else")
    func policyRefusal() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("deployment/refund-bot", "staging", 1)  // its gate has no recorded result
        do {
            _ = try await fixture.apply("staging")
            Issue.record("applied")
        } catch let refusal as Reconciler.Refusal {
            #expect(refusal.description.contains("gatesMustPass"))
            #expect(refusal.description.contains("deployment/refund-bot@0.7.0"))
        }
        #expect(try await fixture.store.deployed(environment: "staging").isEmpty)
        #expect(try await fixture.store.serial(environment: "staging") == 0)
        let audit = try await fixture.store.auditRecords(AuditQuery(environment: "staging"))
        #expect(audit.map(\.action) == ["refuse"])
    }

    @Test("an apply's lease is renewed while it runs: held well past its time, taken over once renewing stops")
    func leaseKept() async throws {
        let fixture = try ReconcilerFixture()
        let lease = try await fixture.store.acquireLease(environment: "dev", holder: "slow-apply", seconds: 2)
        let keeping = Reconciler.keeping(lease, seconds: 2, store: fixture.store)
        // However busy the test process is, the renewals keep time: they run on a thread of their own.
        try await Task.sleep(for: .seconds(5))
        do {
            _ = try await fixture.store.acquireLease(environment: "dev", holder: "pipeline-42", seconds: 60)
            Issue.record("a lease that was being renewed was taken over")
        } catch StateError.leaseHeld(let held) {
            #expect(held.id == lease.id)
        }
        keeping.cancel()
        await keeping.value
        try await Task.sleep(for: .seconds(3))
        let next = try await fixture.store.acquireLease(environment: "dev", holder: "pipeline-42", seconds: 60)
        #expect(next.fence == lease.fence + 1)
        let takeover = try #require(try await fixture.store.auditRecords(AuditQuery(environment: "dev")).last)
        #expect(takeover.action == "lease-takeover" && takeover.planSummary.contains("expired"))
    }

    @Test("a second apply while the lease is held is told who holds it")
    func concurrentApply() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("deployment/support-bot", "dev", 1)
        let lease = try await fixture.store.acquireLease(environment: "dev", holder: "pipeline-41", seconds: 60)
        await #expect {
            _ = try await fixture.apply("dev")
        } throws: { error in
            (error as? StateError)?.description.contains("pipeline-41") == true
        }
        try await fixture.store.releaseLease(lease)
        #expect(try await fixture.apply("dev") == .applied(serial: 1, actions: 8))
    }

    @Test("drift is planned as an update and repaired by the next apply")
    func driftRepair() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("prompt/summarize-ticket", "dev", 1)
        _ = try await fixture.apply("dev")
        try TestSQL.execute(fixture.repo.path + "/.cairn/state.sqlite", "UPDATE deployed SET content = replace(content, 'Summarise', 'Ignore')")
        let plan = try await fixture.plan("dev")
        #expect(plan.actions.map(\.repairsDrift) == [true])
        _ = try await fixture.apply("dev")
        #expect(try await fixture.store.auditRecords(AuditQuery(environment: "dev")).last?.action == "drift-repair")
        #expect(try await fixture.store.deployed(environment: "dev").allSatisfy { !$0.drifted })
    }

    @Test("an unassignment prunes, last; pruning everything needs allowEmpty")
    func prune() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("prompt/sentiment-classify", "dev", 1)
        _ = try await fixture.apply("dev")
        try fixture.assign("prompt/sentiment-classify", "dev", 2, unassign: true)
        #expect(try await fixture.plan("dev").actions.map(\.kind) == [.prune])
        await #expect(throws: Reconciler.Refusal.self) { try await fixture.apply("dev") }
        #expect(try await fixture.apply("dev", allowEmpty: true) == .applied(serial: 2, actions: 1))
        #expect(try await fixture.store.deployed(environment: "dev").isEmpty)
    }

    @Test("the declared state is reused only while its inputs are unchanged: a moved tag or a damaged file is never served stale")
    func declaredCache() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("prompt/sentiment-classify", "dev", 1)
        let first = try await fixture.plan("dev")
        let gitDirectory = fixture.repo.directory.appendingPathComponent(".git/cairn")
        let files = try FileManager.default.contentsOfDirectory(atPath: gitDirectory.path).filter { $0.hasPrefix("declared-") }
        #expect(files.count == 1)
        #expect(try await fixture.plan("dev") == first)
        _ = try await fixture.apply("dev")

        // Re-register the same version at a commit whose file says something else: same tag name, new tag object.
        let path = "registry/prompts/sentiment-classify.yaml"
        let text = try String(contentsOf: fixture.repo.directory.appendingPathComponent(path), encoding: .utf8)
        try fixture.repo.write(path, text.replacingOccurrences(of: "escalated sooner", with: "escalated at once"))
        _ = try fixture.repo.commitAll("edit")
        _ = try fixture.repo.git(["tag", "-f", "-a", "prompt/sentiment-classify@v0.4.2", "-m", "moved"])
        // Same tag names, new objects: the dev assignment now names a commit no registration points at (GTO's rule).
        #expect(try await fixture.plan("dev").problems.first.map { $0.kind == .assignment && $0.message.contains("no registered version") } == true)
        try fixture.assign("prompt/sentiment-classify", "dev", 2)
        let moved = try await fixture.plan("dev")
        #expect(moved.actions.map(\.kind) == [.update])
        #expect(moved.actions.first?.changedFields == ["metadata.description"])  // read from the deployed content

        for file in files {
            try Data("cairn-declared-cache-2 but not really".utf8).write(to: gitDirectory.appendingPathComponent(file))
        }
        #expect(try await fixture.plan("dev") == moved)
    }

    @Test("a range takes the version assigned directly when it fits, else the newest that is not on hold there")
    func rangeFollowsAssignmentAndHolds() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("chain/refund-assistant", "dev", 1)  // asks for prompt/refund-policy-answer@^1.0
        let path = "registry/prompts/refund-policy-answer.yaml"
        let text = try String(contentsOf: fixture.repo.directory.appendingPathComponent(path), encoding: .utf8)
        try fixture.repo.write(path, text.replacingOccurrences(of: "version: 1.0.0", with: "version: 1.1.0")
            .replacingOccurrences(of: "Cite passage numbers.", with: "Cite passage numbers in brackets."))
        _ = try fixture.repo.commitAll("1.1.0")
        try fixture.repo.tag("prompt/refund-policy-answer@v1.1.0", message: "register")
        func declared() async throws -> String? {
            try await fixture.reconciler.plan(environment: "dev", commit: fixture.head).declared.artifacts[ArtifactID("prompt/refund-policy-answer")!]?.version.version.description
        }
        #expect(try await declared() == "1.1.0")
        try fixture.repo.tag("prompt/refund-policy-answer#dev#2", at: "prompt/refund-policy-answer@v1.0.0^{}", message: "assign 1.0.0 directly")
        #expect(try await declared() == "1.0.0")
        #expect(try await fixture.plan("dev").problems.isEmpty)
        try fixture.repo.tag("prompt/refund-policy-answer#dev!#3", at: "prompt/refund-policy-answer@v1.0.0^{}", message: "unassign")
        try fixture.repo.tag("cairn-hold/dev/prompt/refund-policy-answer/v1.1.0/1", at: "prompt/refund-policy-answer@v1.1.0^{}", message: "hold")
        #expect(try await declared() == "1.0.0")
    }

    @Test("staging takes only what is live in dev (promoteFromPrevious)")
    func promoteFromPrevious() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("prompt/summarize-ticket", "staging", 1)
        await #expect {
            _ = try await fixture.apply("staging")
        } throws: { error in
            (error as? Reconciler.Refusal)?.description.contains("promoteFromPrevious") == true
        }
        try fixture.assign("prompt/summarize-ticket", "dev", 1)
        _ = try await fixture.apply("dev")
        #expect(try await fixture.apply("staging") == .applied(serial: 1, actions: 1))
    }
}
