import CairnModel
import CairnPostgres
import CairnState
import Foundation
import Testing

@Suite("Moving a store: SQLite to PostgreSQL and back, record by record", .enabled(if: StoreBackend.available.contains(.postgres)))
struct StateMigrationTests {
    /// A store with the benchmark's size: `artifacts` deployed rows in dev (one drifted), a few in prod, and an audit
    /// chain of `records` records.
    static func filled(_ made: StoreUnderTest, artifacts: Int, records: Int) async throws {
        let rows = (0..<artifacts).map { StateStoreConformanceTests.row("p\($0)", "1.0.\($0 % 7)", content: #"{"n":\#($0)}"#) }
        try await made.store.commit(StateChange(environment: "dev", expectedSerial: 0, upserts: rows, deletions: [], audit: []))
        try await made.store.commit(StateChange(environment: "dev", expectedSerial: 1, upserts: [rows[0]], deletions: [], audit: []))
        try await made.store.commit(StateChange(environment: "prod", expectedSerial: 0, upserts: Array(rows.prefix(3)), deletions: [], audit: []))
        try await made.store.appendAudit((1...records).map { StateStoreConformanceTests.audit(.apply, "prompt/p\($0)@1.0.0", environment: $0 % 2 == 0 ? "dev" : "prod") })
        try made.raw(#"UPDATE deployed SET content = '{"edited":true}' WHERE environment = 'dev' AND name = 'p5'"#)
        _ = try await made.store.firstSightings(of: ["aaaa", "bbbb"], now: 1_700_000_000)
        _ = try await made.store.firstSightings(of: ["cccc"], now: 1_800_000_000)
    }

    static func snapshot(_ store: any StateStore) async throws -> (dev: [StoredArtifact], prod: [StoredArtifact], serials: [Int], audit: AuditVerification) {
        (try await store.deployed(environment: "dev"), try await store.deployed(environment: "prod"),
         [try await store.serial(environment: "dev"), try await store.serial(environment: "prod")], try await store.verifyAudit())
    }

    @Test("10,000 rows and 10,000 records from SQLite to PostgreSQL and back: rows, drift, serials, counts and chain head equal")
    func roundTrip() async throws {
        let sqlite = try await StoreBackend.sqlite.make()
        try await Self.filled(sqlite, artifacts: 10_000, records: 10_000)
        let postgres = try await StoreBackend.postgres.make()
        var lines: [String] = []
        let counts = try await StateMigration.copy(from: try #require(sqlite.store as? any StateTransfer), to: try #require(postgres.store as? any StateTransfer),
                                                   pageSize: 3_000) { lines.append($0) }
        let before = try await Self.snapshot(sqlite.store)
        let after = try await Self.snapshot(postgres.store)
        #expect(counts.environments == 2 && counts.rows == 10_003 && counts.records == 10_000 && counts.headHash == before.audit.headHash)
        #expect(after.dev == before.dev && after.prod == before.prod && after.serials == [2, 1] && after.audit == before.audit)
        #expect(after.dev.filter(\.drifted).map(\.artifact.id.name) == ["p5"])
        #expect(lines.last == "tag sightings: 3" && lines.contains("audit records: 10000 of 10000"))
        // When each tag was first seen travels too: signers' windows are judged at that time, not at the migration.
        #expect(counts.sightings == 3)
        #expect(try await postgres.store.firstSightings(of: ["aaaa", "cccc", "dddd"], now: 1_900_000_000)
                == ["aaaa": 1_700_000_000, "cccc": 1_800_000_000, "dddd": 1_900_000_000])
        // Appends go on from the copied head, and the chain still verifies.
        try await postgres.store.appendAudit([StateStoreConformanceTests.audit(.refuse, "after")])
        #expect(try await postgres.store.verifyAudit().records == 10_001)
        #expect(try await postgres.store.verifyAudit().firstBad == nil)

        let back = try await StoreBackend.sqlite.make()
        let again = try await StateMigration.copy(from: try #require(postgres.store as? any StateTransfer), to: try #require(back.store as? any StateTransfer))
        #expect(again.records == 10_001 && again.rows == 10_003)
        #expect(try await Self.snapshot(back.store).dev == after.dev)
    }

    @Test("a target that is not empty, or a source whose chain does not verify, is refused before anything is copied")
    func refusals() async throws {
        let source = try await StoreBackend.sqlite.make()
        try await Self.filled(source, artifacts: 10, records: 5)
        let target = try await StoreBackend.postgres.make()
        try await target.store.appendAudit([StateStoreConformanceTests.audit(.refuse, "already here")])
        await #expect {
            _ = try await StateMigration.copy(from: source.store as! any StateTransfer, to: target.store as! any StateTransfer)
        } throws: { "\($0)".contains("is not empty") }
        #expect(try await target.store.deployed(environment: "dev").isEmpty)
        try source.raw("UPDATE audit SET actor = 'mallory' WHERE sequence = 3")
        let empty = try await StoreBackend.postgres.make()
        await #expect {
            _ = try await StateMigration.copy(from: source.store as! any StateTransfer, to: empty.store as! any StateTransfer)
        } throws: { "\($0)".contains("does not verify at record 3") }
        #expect(try await (empty.store as! any StateTransfer).isEmpty())
    }

    @Test("imported records must continue the chain: a gap or a wrong link is refused whole", arguments: StoreBackend.available)
    func importChecksLinks(backend: StoreBackend) async throws {
        let source = try await StoreBackend.sqlite.make()
        try await source.store.appendAudit((1...4).map { StateStoreConformanceTests.audit(.apply, "r\($0)") })
        let records = try await source.store.auditRecords(AuditQuery())
        let target = try #require(try await backend.make().store as? any StateTransfer)
        await #expect(throws: StateError.self) { try await target.importAudit(Array(records.dropFirst())) }
        var relinked = records
        relinked[2].previousHash = String(repeating: "f", count: 64)
        await #expect(throws: StateError.self) { try await target.importAudit(relinked) }
        #expect(try await target.isEmpty())
        try await target.importAudit(Array(records.prefix(2)))
        try await target.importAudit(Array(records.dropFirst(2)))
        #expect(try await target.verifyAudit() == (try await source.store.verifyAudit()))
    }
}
