import CairnModel
import CairnState
import Crypto
import Foundation
import GRDB
import Testing

@Suite("SQLite state store and audit chain")
struct SQLiteStateStoreTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-state-\(UUID().uuidString)/state.sqlite").path

    func row(_ name: String, _ version: String, content: String = #"{"a":1}"#) -> DeployedArtifact {
        DeployedArtifact(version: ArtifactVersion("prompt/\(name)@\(version)")!, digest: Self.sha(content), content: content,
                         commit: String(repeating: "a", count: 40), tag: "prompt/\(name)#dev#1", deployedBy: "ci", deployedAt: 1_700_000_000)
    }

    static func sha(_ text: String) -> String {
        // The store's own notion of a digest is SHA-256 of the content; recompute it independently here.
        let data = Array(text.utf8)
        return Digest.sha256(data)
    }

    func audit(_ action: AuditAction, _ artifact: String = "") -> AuditDraft {
        AuditDraft(time: 1_700_000_000, actor: "ci", action: action, environment: "dev", artifact: artifact)
    }

    func raw(_ sql: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: sql) }
    }

    @Test("a commit writes rows, serial and audit together; a second commit with the old serial is refused")
    func commitAndStaleSerial() async throws {
        let store = try SQLiteStateStore(path: path, createFolders: true)
        #expect(try await store.serial(environment: "dev") == 0)
        let serial = try await store.commit(StateChange(environment: "dev", expectedSerial: 0, upserts: [row("a", "1.0.0")], deletions: [], audit: [audit(.apply, "prompt/a@1.0.0")]))
        #expect(serial == 1)
        #expect(try await store.deployed(environment: "dev").map(\.artifact.version.description) == ["prompt/a@1.0.0"])
        await #expect(throws: StateError.staleSerial(environment: "dev", expected: 0, actual: 1)) {
            try await store.commit(StateChange(environment: "dev", expectedSerial: 0, upserts: [row("b", "1.0.0")], deletions: [], audit: []))
        }
        #expect(try await store.deployed(environment: "dev").count == 1)
    }

    @Test("an audit insert that fails rolls back the deployed rows and the serial")
    func failedAuditRollsBack() async throws {
        let store = try SQLiteStateStore(path: path, createFolders: true)
        try await store.commit(StateChange(environment: "dev", expectedSerial: 0, upserts: [row("a", "1.0.0")], deletions: [], audit: [audit(.apply)]))
        let before = try await store.deployed(environment: "dev")
        // A trigger makes the second audit insert fail inside the transaction.
        try raw("CREATE TRIGGER refuse_boom BEFORE INSERT ON audit WHEN NEW.artifact = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END")
        await #expect(throws: StateError.self) {
            try await store.commit(StateChange(environment: "dev", expectedSerial: 1, upserts: [row("a", "2.0.0"), row("b", "1.0.0")],
                                         deletions: [], audit: [audit(.apply), audit(.apply, "boom")]))
        }
        #expect(try await store.deployed(environment: "dev") == before)
        #expect(try await store.serial(environment: "dev") == 1)
        #expect(try await store.auditRecords(AuditQuery()).count == 1)
        #expect(try await store.verifyAudit().firstBad == nil)
    }

    @Test("one lease per environment; the loser is told who holds it; unlock needs the id")
    func leases() async throws {
        let store = try SQLiteStateStore(path: path, createFolders: true)
        let other = try SQLiteStateStore(path: path, createFolders: true)
        let lease = try await store.acquireLease(environment: "prod", holder: "alice", seconds: 60)
        do {
            _ = try await other.acquireLease(environment: "prod", holder: "bob", seconds: 60)
            Issue.record("second lease granted")
        } catch let error as StateError {
            #expect(error.description.contains("alice"))
            #expect(error.description.contains(lease.id))
        }
        await #expect(throws: StateError.noSuchLease(environment: "prod", id: "wrong")) { try await other.forceUnlock(environment: "prod", id: "wrong") }
        try await other.forceUnlock(environment: "prod", id: lease.id)
        _ = try await other.acquireLease(environment: "prod", holder: "bob", seconds: 60)
    }

    @Test("drift: a row edited outside cairn no longer matches its recorded digest")
    func drift() async throws {
        let store = try SQLiteStateStore(path: path, createFolders: true)
        try await store.commit(StateChange(environment: "dev", expectedSerial: 0, upserts: [row("a", "1.0.0")], deletions: [], audit: []))
        #expect(try await store.deployed(environment: "dev").first?.drifted == false)
        try raw(#"UPDATE deployed SET content = '{"a":2}'"#)
        #expect(try await store.deployed(environment: "dev").first?.drifted == true)
    }

    @Test("the deployed mark moves with every change to an environment's rows, by cairn or by hand, and only then")
    func deployedMark() async throws {
        let store = try SQLiteStateStore(path: path, createFolders: true)
        #expect(try await store.deployedMark(environment: "dev") == nil)
        try await store.commit(StateChange(environment: "dev", expectedSerial: 0, upserts: [row("a", "1.0.0"), row("b", "1.0.0")], deletions: [], audit: []))
        let applied = try #require(try await store.deployedMark(environment: "dev"))
        try await store.appendAudit([audit(.refuse, "prompt/a@1.0.0")])
        try await store.commit(StateChange(environment: "staging", expectedSerial: 0, upserts: [row("a", "1.0.0")], deletions: [], audit: []))
        #expect(try await store.deployedMark(environment: "dev") == applied)
        var marks = [applied]
        for edit in [#"UPDATE deployed SET content = '{"a":2}' WHERE environment = 'dev' AND name = 'a'"#,
                     "DELETE FROM deployed WHERE environment = 'dev' AND name = 'b'",
                     "INSERT INTO deployed SELECT 'dev', kind, 'c', version, digest, content, source_commit, tag, deployed_by, deployed_at FROM deployed WHERE environment = 'staging'",
                     // A conflict policy on the edit applies to the trigger's statements too; it must not skip them.
                     "INSERT OR IGNORE INTO deployed SELECT 'dev', kind, 'd', version, digest, content, source_commit, tag, deployed_by, deployed_at FROM deployed WHERE environment = 'staging'",
                     "UPDATE OR REPLACE deployed SET version = '9.9.9' WHERE environment = 'dev' AND name = 'd'",
                     "INSERT OR REPLACE INTO deployed SELECT 'dev', kind, 'd', version, digest, content, source_commit, tag, deployed_by, deployed_at FROM deployed WHERE environment = 'staging'"] {
            try raw(edit)
            let mark = try #require(try await store.deployedMark(environment: "dev"))
            #expect(!marks.contains(mark), "\(edit)")
            marks.append(mark)
        }
        let rows = try await store.deployed(environment: "dev", ids: [ArtifactID("prompt/a")!, ArtifactID("prompt/zzz")!])
        #expect(rows.map { $0.artifact.content } == [#"{"a":2}"#])
        #expect(rows.first?.drifted == true)
    }

    func chain(_ count: Int) async throws -> SQLiteStateStore {
        let store = try SQLiteStateStore(path: path, createFolders: true)
        try await store.appendAudit((1...count).map { audit(.apply, "prompt/p\($0)@1.0.0") })
        #expect(try await store.verifyAudit().firstBad == nil)
        return store
    }

    @Test("verify names the record whose content was edited")
    func flippedByte() async throws {
        let store = try await chain(5)
        try raw("UPDATE audit SET actor = 'mallory' WHERE sequence = 3")
        #expect(try await store.verifyAudit().firstBad?.sequence == 3)
    }

    @Test("verify names the gap a deleted record leaves")
    func deletedRow() async throws {
        let store = try await chain(5)
        try raw("DELETE FROM audit WHERE sequence = 2")
        #expect(try await store.verifyAudit().firstBad?.sequence == 3)
    }

    @Test("verify catches two records swapped")
    func swappedPair() async throws {
        let store = try await chain(5)
        try raw("""
            UPDATE audit SET sequence = -1 WHERE sequence = 2;
            UPDATE audit SET sequence = 2 WHERE sequence = 3;
            UPDATE audit SET sequence = 3 WHERE sequence = -1;
            """)
        #expect(try await store.verifyAudit().firstBad?.sequence == 2)
    }

    @Test("verify in parallel segments reports what one pass reports, including damage at a segment boundary",
          arguments: [
              "UPDATE audit SET actor = 'mallory' WHERE sequence = 5",
              "UPDATE audit SET actor = 'mallory' WHERE sequence = 4",
              "DELETE FROM audit WHERE sequence = 5",
              "DELETE FROM audit WHERE sequence = 4",
              "DELETE FROM audit WHERE sequence IN (4, 5, 6)",
              "DELETE FROM audit WHERE sequence > 9",
              "UPDATE audit SET sequence = -1 WHERE sequence = 4; UPDATE audit SET sequence = 4 WHERE sequence = 5; UPDATE audit SET sequence = 5 WHERE sequence = -1",
              "UPDATE audit SET previous_hash = 'x' WHERE sequence = 9",
              "SELECT 1",
          ])
    func segments(damage: String) async throws {
        let store = try await chain(12)
        try raw(damage)
        let whole = try store.verifyAudit(segments: 1)
        for segments in [2, 3, 4, 12] {
            let split = try store.verifyAudit(segments: segments)
            #expect(split.firstBad?.sequence == whole.firstBad?.sequence, "\(segments) segments")
            #expect(split.firstBad?.reason == whole.firstBad?.reason, "\(segments) segments")
            #expect(split.records == whole.records && split.headHash == whole.headHash && split.lastSequence == whole.lastSequence)
        }
        // Only the untouched chain and a truncated tail (which needs an anchor) verify clean.
        #expect((whole.firstBad == nil) == (damage == "SELECT 1" || damage.contains("> 9")))
    }
}

/// SHA-256 for the tests, through swift-crypto as the store uses it.
enum Digest {
    static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).hexString }
}
