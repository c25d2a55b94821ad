import CairnModel
import CairnState
import Crypto
import Foundation
import Synchronization
import Testing

/// The `StateStore` contract, run on every back end (`StoreBackend.available`): what passes on SQLite must pass on
/// PostgreSQL, with the same calls and the same answers.
@Suite("State store contract (SQLite and PostgreSQL)")
struct StateStoreConformanceTests {
    static func row(_ name: String, _ version: String, content: String = #"{"a":1}"#) -> DeployedArtifact {
        DeployedArtifact(version: ArtifactVersion("prompt/\(name)@\(version)")!, digest: Digest.sha256(Array(content.utf8)), content: content,
                         commit: String(repeating: "a", count: 40), tag: "prompt/\(name)#dev#1", deployedBy: "ci", deployedAt: 1_700_000_000)
    }

    static func audit(_ action: AuditAction, _ artifact: String = "", environment: String = "dev") -> AuditDraft {
        AuditDraft(time: 1_700_000_000, actor: "ci", action: action, environment: environment, artifact: artifact)
    }

    func row(_ name: String, _ version: String, content: String = #"{"a":1}"#) -> DeployedArtifact { Self.row(name, version, content: content) }
    func audit(_ action: AuditAction, _ artifact: String = "") -> AuditDraft { Self.audit(action, artifact) }

    @Test("a commit writes rows, serial and audit together; a second commit with the old serial is refused", arguments: StoreBackend.available)
    func commitAndStaleSerial(backend: StoreBackend) async throws {
        let store = try await backend.make().store
        #expect(try await store.serial(environment: "dev") == 0)
        let serial = try await store.commit(StateChange(environment: "dev", expectedSerial: 0, upserts: [row("a", "1.0.0")], deletions: [], audit: [audit(.apply, "prompt/a@1.0.0")]))
        #expect(serial == 1)
        #expect(try await store.deployed(environment: "dev").map(\.artifact.version.description) == ["prompt/a@1.0.0"])
        await #expect(throws: StateError.staleSerial(environment: "dev", expected: 0, actual: 1)) {
            try await store.commit(StateChange(environment: "dev", expectedSerial: 0, upserts: [row("b", "1.0.0")], deletions: [], audit: []))
        }
        #expect(try await store.deployed(environment: "dev").count == 1)
        #expect(try await store.serial(environment: "dev") == 1)
        #expect(try await store.serial(environment: "prod") == 0)
    }

    @Test("rows round-trip whole: content, upserts replace, deletions delete, order is byte order, ids select", arguments: StoreBackend.available)
    func rowsRoundTrip(backend: StoreBackend) async throws {
        let store = try await backend.make().store
        let unicode = #"{"text":"héllo \u{1F600} — \"quoted\"\n","n":1}"#
        let rows = [row("b", "1.0.0"), row("a", "1.0.0", content: unicode), row("a0", "2.0.0-rc.1"), row("a-b", "1.0.0")]
        try await store.commit(StateChange(environment: "dev", expectedSerial: 0, upserts: rows, deletions: [], audit: []))
        let read = try await store.deployed(environment: "dev")
        #expect(read.map(\.artifact.id.name) == ["a", "a-b", "a0", "b"])
        #expect(read.map(\.artifact) == rows.sorted { $0.id.name.utf8.lexicographicallyPrecedes($1.id.name.utf8) })
        #expect(read.allSatisfy { !$0.drifted })
        let bare = try await store.deployed(environment: "dev", content: false)
        #expect(bare.map(\.artifact.content) == ["", "", "", ""] && bare.map(\.artifact.digest) == read.map(\.artifact.digest))
        try await store.commit(StateChange(environment: "dev", expectedSerial: 1, upserts: [row("a", "1.1.0", content: "{}")],
                                           deletions: [ArtifactID("prompt/b")!, ArtifactID("prompt/nothing")!], audit: []))
        let after = try await store.deployed(environment: "dev", ids: [ArtifactID("prompt/a")!, ArtifactID("prompt/b")!, ArtifactID("prompt/a0")!])
        #expect(after.map(\.artifact.version.description) == ["prompt/a@1.1.0", "prompt/a0@2.0.0-rc.1"])
        #expect(after.first?.artifact.content == "{}")
        #expect(try await store.deployed(environment: "staging").isEmpty)
        #expect(try await store.deployed(environment: "dev", ids: []).isEmpty)
    }

    @Test("an audit insert that fails rolls back the deployed rows and the serial", arguments: StoreBackend.available)
    func failedAuditRollsBack(backend: StoreBackend) async throws {
        let made = try await backend.make()
        let store = made.store
        try await store.commit(StateChange(environment: "dev", expectedSerial: 0, upserts: [row("a", "1.0.0")], deletions: [], audit: [audit(.apply)]))
        let before = try await store.deployed(environment: "dev")
        // A trigger makes the second audit insert fail inside the transaction.
        switch backend {
        case .sqlite:
            try made.raw("CREATE TRIGGER refuse_boom BEFORE INSERT ON audit WHEN NEW.artifact = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END")
        case .postgres:
            try made.raw("""
                CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.artifact = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$;
                CREATE TRIGGER refuse_boom BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION boom();
                """)
        }
        await #expect(throws: StateError.self) {
            try await store.commit(StateChange(environment: "dev", expectedSerial: 1, upserts: [row("a", "2.0.0"), row("b", "1.0.0")],
                                               deletions: [], audit: [audit(.apply), audit(.apply, "boom")]))
        }
        #expect(try await store.deployed(environment: "dev") == before)
        #expect(try await store.serial(environment: "dev") == 1)
        #expect(try await store.auditRecords(AuditQuery()).count == 1)
        #expect(try await store.verifyAudit().firstBad == nil)
        // The store works on after the failure.
        try await store.commit(StateChange(environment: "dev", expectedSerial: 1, upserts: [row("c", "1.0.0")], deletions: [], audit: [audit(.apply)]))
        #expect(try await store.verifyAudit() == AuditVerification(records: 2, firstBad: nil, headHash: try #require(try await store.auditHash(sequence: 2)), lastSequence: 2))
    }

    @Test("a tag object's first sighting stands: later callers, and another connection, read the first time", arguments: StoreBackend.available)
    func tagSightings(backend: StoreBackend) async throws {
        let made = try await backend.make()
        let (store, other) = (made.store, try await made.reopen())
        #expect(try await store.firstSightings(of: [], now: 5).isEmpty)
        #expect(try await store.firstSightings(of: ["aa", "bb", "aa"], now: 100) == ["aa": 100, "bb": 100])
        #expect(try await other.firstSightings(of: ["bb", "cc"], now: 200) == ["bb": 100, "cc": 200])
        #expect(try await store.firstSightings(of: ["aa", "cc"], now: 300) == ["aa": 100, "cc": 200])
    }

    @Test("one lease per environment; the loser is told who holds it; unlock needs the id", arguments: StoreBackend.available)
    func leases(backend: StoreBackend) async throws {
        let made = try await backend.make()
        let (store, other) = (made.store, try await made.reopen())
        let lease = try await store.acquireLease(environment: "prod", holder: "alice", seconds: 60)
        do {
            _ = try await other.acquireLease(environment: "prod", holder: "bob", seconds: 60)
            Issue.record("second lease granted")
        } catch let error as StateError {
            #expect(error.description.contains("alice"))
            #expect(error.description.contains(lease.id))
        }
        _ = try await other.acquireLease(environment: "dev", holder: "bob", seconds: 60)
        await #expect(throws: StateError.noSuchLease(environment: "prod", id: "wrong")) { try await other.forceUnlock(environment: "prod", id: "wrong") }
        await #expect(throws: StateError.noSuchLease(environment: "prod", id: "")) { try await other.forceUnlock(environment: "prod", id: "") }
        try await other.forceUnlock(environment: "prod", id: lease.id)
        let bobs = try await other.acquireLease(environment: "prod", holder: "bob", seconds: 60)
        #expect(bobs.fence == lease.fence + 1)
        // alice's late release does not free bob's lease.
        try await store.releaseLease(lease)
        await #expect(throws: StateError.self) { try await store.acquireLease(environment: "prod", holder: "carol", seconds: 60) }
        try await other.releaseLease(bobs)
        #expect(try await store.acquireLease(environment: "prod", holder: "carol", seconds: 60).fence == bobs.fence + 1)
    }

    @Test("renewing: a held lease is extended; one taken over, given back or unlocked is never revived", arguments: StoreBackend.available)
    func renewal(backend: StoreBackend) async throws {
        let made = try await backend.make()
        let (store, other) = (made.store, try await made.reopen())
        // Expired the moment it is granted, then renewed: held again, by the same id and fence.
        let alices = try await store.acquireLease(environment: "prod", holder: "alice", seconds: 0)
        let renewed = try await store.renewLease(alices, seconds: 60)
        #expect(renewed.id == alices.id && renewed.fence == alices.fence && renewed.expiresAt >= alices.expiresAt + 59)
        do {
            _ = try await other.acquireLease(environment: "prod", holder: "bob", seconds: 60)
            Issue.record("a renewed lease was taken over")
        } catch StateError.leaseHeld(let held) {
            #expect(held.id == alices.id && held.expiresAt == renewed.expiresAt)
        }
        try await store.commit(StateChange(environment: "prod", expectedSerial: 0, upserts: [row("a", "1.0.0")], deletions: [],
                                           audit: [Self.audit(.apply, environment: "prod")], lease: renewed))
        // Let it run out and be taken over: renewing it now is refused and leaves bob's lease as it is.
        try await store.renewLease(alices, seconds: 0)
        let bobs = try await other.acquireLease(environment: "prod", holder: "bob", seconds: 60)
        await #expect(throws: StateError.leaseLost(alices, current: bobs.fence)) { try await store.renewLease(alices, seconds: 60) }
        await #expect(throws: StateError.self) { try await store.acquireLease(environment: "prod", holder: "carol", seconds: 60) }
        // Given back, or unlocked by id: nothing to renew.
        try await other.releaseLease(bobs)
        await #expect(throws: StateError.leaseLost(bobs, current: nil)) { try await other.renewLease(bobs, seconds: 60) }
        let carols = try await store.acquireLease(environment: "prod", holder: "carol", seconds: 60)
        try await other.forceUnlock(environment: "prod", id: carols.id)
        await #expect(throws: StateError.leaseLost(carols, current: nil)) { try await store.renewLease(carols, seconds: 60) }
        #expect(try await store.acquireLease(environment: "prod", holder: "dave", seconds: 60).fence == carols.fence + 1)
        #expect(try await store.verifyAudit().firstBad == nil)
    }

    @Test("reconciliation history: repeated runs are one entry, applies their own, newest first, the newest kept, shared by every opener",
          arguments: StoreBackend.available)
    func reconciliationHistory(backend: StoreBackend) async throws {
        let made = try await backend.make()
        let (agentA, agentB) = (made.store, try await made.reopen())
        func run(_ result: Reconciliation.Result, revision: String = "r1", digest: String = "d1", changes: Int = 0, message: String? = nil,
                 at: Int64, agent: String = "a") -> Reconciliation {
            Reconciliation(environment: "prod", revision: revision, declaredDigest: digest, result: result, changes: changes, message: message,
                           milliseconds: Int(at), at: at, agent: agent)
        }
        try await agentA.recordReconciliation(run(.applied, changes: 3, at: 10))
        try await agentA.recordReconciliation(run(.inSync, at: 11))
        try await agentB.recordReconciliation(run(.inSync, at: 12, agent: "b"))
        try await agentA.recordReconciliation(run(.inSync, at: 13))
        var history = try await agentB.reconciliations(environment: "prod", limit: 10)
        #expect(history.map(\.result) == [.inSync, .applied])
        #expect(history[0].runs == 3 && history[0].firstAt == 11 && history[0].at == 13 && history[0].milliseconds == 13 && history[0].agent == "a")
        #expect(history[1] == run(.applied, changes: 3, at: 10))
        // Another reason, revision or declared state is an entry of its own; so is every apply.
        try await agentA.recordReconciliation(run(.failed, message: "git: timeout", at: 14))
        try await agentA.recordReconciliation(run(.failed, message: "store: refused", at: 15))
        try await agentA.recordReconciliation(run(.failed, message: "store: refused", at: 16))
        try await agentB.recordReconciliation(run(.inSync, revision: "r2", at: 17))
        try await agentB.recordReconciliation(run(.inSync, revision: "r2", digest: "d2", at: 18))
        try await agentA.recordReconciliation(run(.applied, changes: 1, at: 19))
        try await agentA.recordReconciliation(run(.applied, changes: 1, at: 20))
        history = try await agentA.reconciliations(environment: "prod", limit: 100)
        #expect(history.map(\.at) == [20, 19, 18, 17, 16, 14, 13, 10])
        #expect(history.first { $0.at == 16 }?.runs == 2 && history.first { $0.at == 16 }?.firstAt == 15)
        #expect(try await agentA.reconciliations(environment: "prod", limit: 2).map(\.at) == [20, 19])
        #expect(try await agentA.reconciliations(environment: "dev", limit: 10).isEmpty)
        // Only the newest are kept.
        for at in Int64(100)..<Int64(100 + Reconciliation.kept + 5) { try await agentA.recordReconciliation(run(.applied, changes: 1, at: at)) }
        history = try await agentB.reconciliations(environment: "prod", limit: 1000)
        #expect(history.count == Reconciliation.kept && history.first?.at == Int64(100 + Reconciliation.kept + 4) && history.last?.at == 105)
    }

    @Test("concurrent agents record into one history without losing runs", arguments: StoreBackend.available)
    func concurrentReconciliations(backend: StoreBackend) async throws {
        let made = try await backend.make()
        var stores: [any StateStore] = [made.store]
        for _ in 1..<4 { stores.append(try await made.reopen()) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask {
                    for run in 0..<10 {
                        try await store.recordReconciliation(Reconciliation(environment: "prod", revision: "r", declaredDigest: "d", result: .inSync,
                                                                            changes: 0, message: nil, milliseconds: 1, at: Int64(run), agent: "agent-\(index)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        let history = try await made.store.reconciliations(environment: "prod", limit: 10)
        #expect(history.count == 1 && history.first?.runs == 40, "\(history)")
    }

    @Test("fencing: a holder whose lease expired and was taken over cannot commit; the new holder can", arguments: StoreBackend.available)
    func fencedZombie(backend: StoreBackend) async throws {
        let made = try await backend.make()
        let (zombie, successor) = (made.store, try await made.reopen())
        let old = try await zombie.acquireLease(environment: "prod", holder: "agent-a", seconds: 0)
        let new = try await successor.acquireLease(environment: "prod", holder: "agent-b", seconds: 60)
        #expect(new.fence == old.fence + 1)
        let takeover = try #require(try await successor.auditRecords(AuditQuery(environment: "prod")).last)
        #expect(takeover.action == "lease-takeover" && takeover.actor == "agent-b" && takeover.planSummary.contains("expired"))
        await #expect(throws: StateError.leaseLost(old, current: new.fence)) {
            try await zombie.commit(StateChange(environment: "prod", expectedSerial: 0, upserts: [row("a", "1.0.0")], deletions: [],
                                                audit: [Self.audit(.apply, environment: "prod")], lease: old))
        }
        #expect(try await successor.deployed(environment: "prod").isEmpty)
        #expect(try await successor.serial(environment: "prod") == 0)
        try await successor.commit(StateChange(environment: "prod", expectedSerial: 0, upserts: [row("b", "1.0.0")], deletions: [],
                                               audit: [Self.audit(.apply, environment: "prod")], lease: new))
        try await successor.releaseLease(new)
        // A released lease is no lease to commit under either.
        await #expect(throws: StateError.leaseLost(new, current: nil)) {
            try await successor.commit(StateChange(environment: "prod", expectedSerial: 1, upserts: [], deletions: [], audit: [], lease: new))
        }
        #expect(try await zombie.verifyAudit().firstBad == nil)
    }

    @Test("eight holders at once: exactly one gets the lease, each other is told who holds it", arguments: StoreBackend.available)
    func concurrentLeases(backend: StoreBackend) async throws {
        let made = try await backend.make()
        var stores: [any StateStore] = []
        for _ in 0..<8 { stores.append(try await made.reopen()) }
        let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask {
                    do {
                        return "granted \(try await store.acquireLease(environment: "prod", holder: "h\(index)", seconds: 60).holder)"
                    } catch StateError.leaseHeld(let lease) {
                        return "held by \(lease.holder)"
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let granted = outcomes.filter { $0.hasPrefix("granted ") }
        #expect(granted.count == 1, "\(outcomes)")
        let winner = String(granted.first?.dropFirst("granted ".count) ?? "")
        #expect(outcomes.filter { $0 == "held by \(winner)" }.count == 7, "\(outcomes)")
    }

    @Test("appends from four writers at once make one chain: no fork, no gap", arguments: StoreBackend.available)
    func concurrentAppends(backend: StoreBackend) async throws {
        let made = try await backend.make()
        var stores: [any StateStore] = []
        for _ in 0..<4 { stores.append(try await made.reopen()) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (writer, store) in stores.enumerated() {
                group.addTask {
                    for round in 0..<25 {
                        if round % 5 == 0 {
                            // Commits too: their audit records join the same chain.
                            let environment = "env\(writer)"
                            let serial = try await store.serial(environment: environment)
                            try await store.commit(StateChange(environment: environment, expectedSerial: serial, upserts: [Self.row("w\(writer)", "1.0.\(round)")],
                                                               deletions: [], audit: [Self.audit(.apply, environment: environment)]))
                        } else {
                            try await store.appendAudit([Self.audit(.refuse, "w\(writer)-\(round)"), Self.audit(.refuse, "w\(writer)-\(round)b")])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let verification = try await made.store.verifyAudit()
        #expect(verification.firstBad == nil)
        #expect(verification.records == 4 * (5 * 1 + 20 * 2) && verification.lastSequence == Int64(verification.records))
    }

    @Test("drift: a row edited outside cairn no longer matches its recorded digest", arguments: StoreBackend.available)
    func drift(backend: StoreBackend) async throws {
        let made = try await backend.make()
        try await made.store.commit(StateChange(environment: "dev", expectedSerial: 0, upserts: [row("a", "1.0.0")], deletions: [], audit: []))
        #expect(try await made.store.deployed(environment: "dev").first?.drifted == false)
        try made.raw(#"UPDATE deployed SET content = '{"a":2}'"#)
        #expect(try await made.store.deployed(environment: "dev").first?.drifted == true)
        #expect(try await made.store.deployed(environment: "dev", content: false).first?.drifted == true)
    }

    @Test("a malformed deployed row is an error, not skipped", arguments: StoreBackend.available)
    func malformedRow(backend: StoreBackend) async throws {
        let made = try await backend.make()
        try made.raw("INSERT INTO deployed VALUES ('dev', 'prompt', 'x', 'one', '', '', '', '', '', 0)")
        await #expect(throws: StateError.self) { try await made.store.deployed(environment: "dev", content: false) }
    }

    /// Edits of an environment's rows behind cairn's back, in each back end's SQL.
    static func edits(_ backend: StoreBackend) -> [String] {
        let copy = "SELECT 'dev', kind, 'NAME', version, digest, content, source_commit, tag, deployed_by, deployed_at FROM deployed WHERE environment = 'staging'"
        let common = [#"UPDATE deployed SET content = '{"a":2}' WHERE environment = 'dev' AND name = 'a'"#,
                      "DELETE FROM deployed WHERE environment = 'dev' AND name = 'b'",
                      "INSERT INTO deployed " + copy.replacingOccurrences(of: "NAME", with: "c")]
        switch backend {
        case .sqlite:
            // A conflict policy on the edit applies to the trigger's statements too; it must not skip them.
            return common + ["INSERT OR IGNORE INTO deployed " + copy.replacingOccurrences(of: "NAME", with: "d"),
                             "UPDATE OR REPLACE deployed SET version = '9.9.9' WHERE environment = 'dev' AND name = 'd'",
                             "INSERT OR REPLACE INTO deployed " + copy.replacingOccurrences(of: "NAME", with: "d")]
        case .postgres:
            return common + ["INSERT INTO deployed " + copy.replacingOccurrences(of: "NAME", with: "d") + " ON CONFLICT DO NOTHING",
                             "UPDATE deployed SET version = '9.9.9' WHERE environment = 'dev' AND name = 'd'",
                             "UPDATE deployed SET environment = 'dev', name = 'moved' WHERE environment = 'staging'",
                             "TRUNCATE deployed"]
        }
    }

    @Test("the deployed mark moves with every change to an environment's rows, by cairn or by hand, and only then", arguments: StoreBackend.available)
    func deployedMark(backend: StoreBackend) async throws {
        let made = try await backend.make()
        let store = made.store
        #expect(try await store.deployedMark(environment: "dev") == nil)
        let committed = try await store.write(StateChange(environment: "dev", expectedSerial: 0, upserts: [row("a", "1.0.0"), row("b", "1.0.0")], deletions: [], audit: []))
        let applied = try #require(try await store.deployedMark(environment: "dev"))
        // The write returns the marks before and after its own change.
        #expect(committed == Committed(serial: 1, previousMark: nil, mark: applied))
        try await store.appendAudit([audit(.refuse, "prompt/a@1.0.0")])
        try await store.commit(StateChange(environment: "staging", expectedSerial: 0, upserts: [row("a", "1.0.0")], deletions: [], audit: []))
        _ = try await store.acquireLease(environment: "dev", holder: "x", seconds: 60)
        #expect(try await store.deployedMark(environment: "dev") == applied)
        let rows = try await store.deployed(environment: "dev", ids: [ArtifactID("prompt/a")!, ArtifactID("prompt/zzz")!])
        #expect(rows.map { $0.artifact.content } == [#"{"a":1}"#])
        var marks = [applied]
        for edit in Self.edits(backend) {
            try made.raw(edit)
            let mark = try #require(try await store.deployedMark(environment: "dev"))
            #expect(!marks.contains(mark), "\(edit)")
            marks.append(mark)
        }
    }

    func chain(_ backend: StoreBackend, _ count: Int) async throws -> StoreUnderTest {
        let made = try await backend.make()
        try await made.store.appendAudit((1...count).map { audit(.apply, "prompt/p\($0)@1.0.0") })
        #expect(try await made.store.verifyAudit().firstBad == nil)
        return made
    }

    @Test("verify names the record whose content was edited", arguments: StoreBackend.available)
    func flippedByte(backend: StoreBackend) async throws {
        let made = try await chain(backend, 5)
        try made.raw("UPDATE audit SET actor = 'mallory' WHERE sequence = 3")
        #expect(try await made.store.verifyAudit().firstBad?.sequence == 3)
    }

    @Test("verify names the gap a deleted record leaves", arguments: StoreBackend.available)
    func deletedRow(backend: StoreBackend) async throws {
        let made = try await chain(backend, 5)
        try made.raw("DELETE FROM audit WHERE sequence = 2")
        #expect(try await made.store.verifyAudit().firstBad?.sequence == 3)
    }

    @Test("verify catches two records swapped", arguments: StoreBackend.available)
    func swappedPair(backend: StoreBackend) async throws {
        let made = try await chain(backend, 5)
        try made.raw("""
            UPDATE audit SET sequence = -1 WHERE sequence = 2;
            UPDATE audit SET sequence = 2 WHERE sequence = 3;
            UPDATE audit SET sequence = 3 WHERE sequence = -1;
            """)
        #expect(try await made.store.verifyAudit().firstBad?.sequence == 2)
    }

    @Test("audit queries filter by environment, artifact (any version or one) and time", arguments: StoreBackend.available)
    func auditQueries(backend: StoreBackend) async throws {
        let store = try await backend.make().store
        func draft(_ time: Int64, _ environment: String, _ artifact: String) -> AuditDraft {
            AuditDraft(time: time, actor: "ci", action: .apply, environment: environment, artifact: artifact)
        }
        try await store.appendAudit([draft(10, "dev", "prompt/a@1.0.0"), draft(20, "prod", "prompt/a@1.1.0"), draft(30, "dev", "prompt/a_b@1.0.0"),
                                     draft(40, "dev", "prompt/ab@1.0.0"), draft(50, "dev", "prompt/a")])
        func sequences(_ query: AuditQuery) async throws -> [Int64] { try await store.auditRecords(query).map(\.sequence) }
        #expect(try await sequences(AuditQuery()) == [1, 2, 3, 4, 5])
        #expect(try await sequences(AuditQuery(environment: "dev")) == [1, 3, 4, 5])
        #expect(try await sequences(AuditQuery(artifact: "prompt/a")) == [1, 2, 5])
        #expect(try await sequences(AuditQuery(artifact: "prompt/a@1.1.0")) == [2])
        #expect(try await sequences(AuditQuery(artifact: "prompt/a_b")) == [3])
        #expect(try await sequences(AuditQuery(since: 20, until: 40)) == [2, 3, 4])
        // Pages: after a sequence number, at most a limit, with the other filters.
        #expect(try await sequences(AuditQuery(after: 1, limit: 2)) == [2, 3])
        #expect(try await sequences(AuditQuery(environment: "dev", after: 3, limit: 5)) == [4, 5])
        #expect(try await sequences(AuditQuery(after: 5, limit: 2)) == [])
        #expect(try await sequences(AuditQuery(limit: 0)) == [])
        let record = try #require(try await store.auditRecords(AuditQuery(artifact: "prompt/ab")).first)
        let previous = try await store.auditHash(sequence: 3)
        #expect(record.hash == AuditChain.hash(record) && record.previousHash == previous)
        #expect(try await store.auditHash(sequence: 99) == nil)
    }
}

/// SHA-256 for the tests, through swift-crypto as the store uses it.
enum Digest {
    static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).hexString }
}
