import CairnModel
import CairnState
import Foundation
import GRDB
import Synchronization
import Testing

@Suite("Opening an SQLite store: fresh, concurrent, empty, foreign or damaged files; leases of dead holders")
struct SQLiteStoreOpeningTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-open-\(UUID().uuidString)").path
    var path: String { folder + "/state.sqlite" }

    func makeFolder() async throws { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }

    func refusal(_ path: String) -> String? {
        do {
            _ = try SQLiteStateStore(path: path)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("a path whose folder does not exist, or an empty path, is refused and nothing is created")
    func missingFolder() {
        #expect(refusal(folder + "/no/such/state.sqlite")?.contains("does not exist") == true)
        #expect(!FileManager.default.fileExists(atPath: folder))
        #expect(refusal("")?.contains("empty") == true)
    }

    @Test("a 0-byte file is refused, not taken for a new store whose audit trail restarts at genesis")
    func emptyFile() async throws {
        try await makeFolder()
        FileManager.default.createFile(atPath: path, contents: Data())
        #expect(refusal(path)?.contains("0 bytes") == true)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == 0)
    }

    @Test("a file that is not SQLite, or another program's SQLite database, is refused")
    func foreignFiles() async throws {
        try await makeFolder()
        FileManager.default.createFile(atPath: path, contents: Data("not a database, just text that is long enough\n".utf8))
        #expect(refusal(path)?.contains("cannot open") == true)
        try FileManager.default.removeItem(atPath: path)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { try $0.execute(sql: "CREATE TABLE notes (text TEXT)") }
        #expect(refusal(path)?.contains("not a cairn store") == true)
    }

    @Test("a store with a table or trigger dropped behind cairn's back is refused by every command alike",
          arguments: ["DROP TABLE deployed", "DROP TRIGGER deployed_update", "DROP TABLE audit"])
    func damagedSchema(sql: String) async throws {
        try await makeFolder()
        _ = try SQLiteStateStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { try $0.execute(sql: sql) }
        #expect(refusal(path)?.contains("is damaged") == true)
    }

    @Test("many first uses of one fresh store at once all open it", arguments: 0..<5)
    func concurrentFirstUse(round: Int) async throws {
        try await makeFolder()
        // Threads, not tasks: each opener must really run at the same time as the others.
        let failures = Mutex<[String]>([])
        let path = self.path
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            do {
                _ = try SQLiteStateStore(path: path)
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        for index in 0..<8 {
            try await SQLiteStateStore(path: path).appendAudit([AuditDraft(time: Int64(index), actor: "t\(index)", action: .register, environment: "dev")])
        }
        let store = try SQLiteStateStore(path: path)
        #expect(try await store.auditRecords(AuditQuery()).count == 8)
        #expect(try await store.verifyAudit().firstBad == nil)
    }

    @Test("a lease whose process is gone on this host is taken over at once, with an audit record; a live one is not")
    func deadHolderTakeover() async throws {
        try await makeFolder()
        let store = try SQLiteStateStore(path: path)
        let live = try await store.acquireLease(environment: "dev", holder: "alice", seconds: 600)
        #expect(live.pid == getpid() && !live.host.isEmpty)
        await #expect {
            _ = try await store.acquireLease(environment: "dev", holder: "bob", seconds: 600)
        } throws: { error in
            let text = "\(error)"
            return text.contains("alice") && text.contains("process \(getpid())") && text.contains("T") && text.hasSuffix("if that apply died")
                && !text.contains("expires at \(live.expiresAt)")
        }
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let queue = try DatabaseQueue(path: path)
        try await queue.write { try $0.execute(sql: "UPDATE lease SET pid = ?", arguments: [finished.processIdentifier]) }
        let taken = try await store.acquireLease(environment: "dev", holder: "bob", seconds: 600)
        #expect(taken.holder == "bob" && taken.id != live.id)
        let record = try #require(try await store.auditRecords(AuditQuery(environment: "dev")).last)
        #expect(record.action == "lease-takeover" && record.actor == "bob" && record.planSummary.contains(live.id))
        // Another host's lease is never judged by this host's processes.
        try await queue.write { try $0.execute(sql: "UPDATE lease SET host = 'elsewhere', pid = ?", arguments: [finished.processIdentifier]) }
        await #expect(throws: StateError.self) { try await store.acquireLease(environment: "dev", holder: "carol", seconds: 600) }
    }
}

@Suite("SQLite: the audit chain verified in parallel segments")
struct SQLiteSegmentTests {
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
        let made = try await StoreBackend.sqlite.make()
        let store = try #require(made.store as? SQLiteStateStore)
        try await store.appendAudit((1...12).map { StateStoreConformanceTests.audit(.apply, "prompt/p\($0)@1.0.0") })
        try made.raw(damage)
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
