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

    @Test("a malformed deployed row is an error, not skipped")
    func malformedRow() async throws {
        try await makeFolder()
        let store = try SQLiteStateStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { try $0.execute(sql: "INSERT INTO deployed VALUES ('dev', 'prompt', 'x', 'one', '', '', '', '', '', 0)") }
        await #expect(throws: StateError.self) { try await store.deployed(environment: "dev", content: false) }
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
