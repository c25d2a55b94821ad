import CairnModel
import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// The default store: one SQLite file (WAL, `synchronous=FULL`), schema managed by GRDB's migrator.
public final class SQLiteStateStore: StateTransfer {
    private let queue: DatabaseQueue
    public let path: String
    public var identity: String { "sqlite:" + URL(fileURLWithPath: path).standardizedFileURL.path }

    /// Opens the store at `path`, creating it when no file is there. The folder must exist (a mistyped path is an
    /// error, not a new empty store), and an existing file must be a cairn store: an empty or foreign file is refused,
    /// so that the audit trail never silently restarts at genesis.
    /// With `createFolders`, missing folders are created first (for callers that chose the place themselves).
    public init(path: String, createFolders: Bool = false) throws {
        guard !path.isEmpty else { throw StateError.storage("the state path is empty; pass --state PATH or leave it out for .cairn/state.sqlite") }
        self.path = path
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if createFolders { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        var info = stat()
        guard stat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw StateError.storage("the folder \(folder) of state file \(path) does not exist; create it, or pass another --state")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            // Opening sets WAL mode and migrates; two first uses at once raced there ('database is locked' on the
            // journal mode, 'table already exists'). A lock on the folder serializes opening, nothing after it.
            queue = try Self.whileLocked(folder) {
                // Inside the lock: an opener that has just created the file leaves it empty only until it migrates.
                try Self.checkExistingFile(path)
                let queue = try DatabaseQueue(path: path, configuration: configuration)
                try Self.checkIsCairnStore(queue, path: path)
                try Self.migrator.migrate(queue)
                try Self.checkSchema(queue, path: path)
                return queue
            }
        } catch let error as StateError {
            throw error
        } catch let error as DatabaseError {
            throw StateError.storage("cannot open \(path): \(error.message ?? "SQLite error \(error.resultCode)")")
        } catch {
            throw StateError.storage("cannot open \(path): \(error)")
        }
    }

    /// Runs `body` holding an exclusive `flock` on `folder` (released when it returns or throws).
    private static func whileLocked<T>(_ folder: String, _ body: () throws -> T) throws -> T {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StateError.storage("cannot open folder \(folder): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StateError.storage("cannot lock folder \(folder): \(String(cString: strerror(errno)))") }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// An existing file must be a regular file with content: an empty one is a truncated store, not a new one.
    private static func checkExistingFile(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw StateError.storage("\(path) is not a file; pass the path of a cairn state file")
        }
        if info.st_size == 0 {
            throw StateError.storage("\(path) is empty (0 bytes), not a cairn store: it may have been truncated. Restore it from a backup; delete it only to start a new store with an empty audit trail")
        }
    }

    /// A database that has tables but none of cairn's migrations is someone else's: refuse rather than add ours.
    private static func checkIsCairnStore(_ queue: DatabaseQueue, path: String) throws {
        let (tables, migrated) = try queue.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table'") ?? 0, try db.tableExists("grdb_migrations"))
        }
        if tables > 0 && !migrated {
            throw StateError.storage("\(path) is an SQLite database but not a cairn store; pass the path of a cairn state file")
        }
    }

    /// The tables and triggers every query relies on: a store with one dropped behind cairn's back is refused by
    /// every command alike (a plan built on the last one would otherwise answer without reading the rows).
    private static func checkSchema(_ queue: DatabaseQueue, path: String) throws {
        let expected: Set = ["table environment", "table deployed", "table audit", "table lease", "table deployed_mark", "table reconciliation",
                             "trigger deployed_insert", "trigger deployed_update", "trigger deployed_delete"]
        let present = try queue.read { db in
            Set(try Row.fetchAll(db, sql: "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger')").map { "\($0[0] as String) \($0[1] as String)" })
        }
        let missing = expected.subtracting(present).sorted()
        guard missing.isEmpty else {
            throw StateError.storage("\(path) is damaged: \(missing.joined(separator: ", ")) missing; restore it from a backup")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE environment (name TEXT PRIMARY KEY, serial INTEGER NOT NULL);
                CREATE TABLE deployed (
                    environment TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
                    digest TEXT NOT NULL, content TEXT NOT NULL, source_commit TEXT NOT NULL, tag TEXT NOT NULL,
                    deployed_by TEXT NOT NULL, deployed_at INTEGER NOT NULL,
                    PRIMARY KEY (environment, kind, name));
                CREATE TABLE audit (
                    sequence INTEGER PRIMARY KEY, time INTEGER NOT NULL, actor TEXT NOT NULL,
                    action TEXT NOT NULL CHECK (length(action) > 0), environment TEXT NOT NULL,
                    artifact TEXT NOT NULL, digest TEXT NOT NULL, source_commit TEXT NOT NULL, tag TEXT NOT NULL,
                    plan_summary TEXT NOT NULL, compliance TEXT NOT NULL, previous_hash TEXT NOT NULL, hash TEXT NOT NULL);
                CREATE INDEX audit_environment ON audit (environment, time);
                CREATE TABLE lease (environment TEXT PRIMARY KEY, id TEXT NOT NULL, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);
                """)
        }
        // Every change to a deployed row, by cairn or by hand, draws a new random mark for its environment. The
        // statements cannot conflict, so an outer statement's conflict policy (INSERT OR IGNORE ...), which SQLite
        // applies to the trigger's statements too, cannot skip them.
        migrator.registerMigration("v2 deployed mark") { db in
            func mark(_ row: String) -> String {
                """
                UPDATE deployed_mark SET mark = randomblob(16) WHERE environment = \(row).environment;
                INSERT INTO deployed_mark SELECT \(row).environment, randomblob(16)
                    WHERE NOT EXISTS (SELECT 1 FROM deployed_mark WHERE environment = \(row).environment);
                """
            }
            try db.execute(sql: """
                CREATE TABLE deployed_mark (environment TEXT PRIMARY KEY, mark BLOB NOT NULL);
                CREATE TRIGGER deployed_insert AFTER INSERT ON deployed BEGIN \(mark("NEW")) END;
                CREATE TRIGGER deployed_update AFTER UPDATE ON deployed BEGIN \(mark("OLD")) \(mark("NEW")) END;
                CREATE TRIGGER deployed_delete AFTER DELETE ON deployed BEGIN \(mark("OLD")) END;
                """)
        }
        // Who holds a lease, so that one whose process died on this host can be replaced at once.
        migrator.registerMigration("v3 lease holder process") { db in
            try db.execute(sql: """
                ALTER TABLE lease ADD COLUMN host TEXT NOT NULL DEFAULT '';
                ALTER TABLE lease ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;
                """)
        }
        // Fencing: a lease row stays when its lease is given back (id ''), and each grant moves its fence, so that a
        // holder whose lease was taken over cannot commit.
        migrator.registerMigration("v4 lease fence") { db in
            try db.execute(sql: "ALTER TABLE lease ADD COLUMN fence INTEGER NOT NULL DEFAULT 0")
        }
        // When cairn first saw each tag object, for judging a signer's validity window.
        migrator.registerMigration("v5 tag sightings") { db in
            try db.execute(sql: "CREATE TABLE tag_sighting (object TEXT PRIMARY KEY, first_seen INTEGER NOT NULL)")
        }
        // The agents' reconciliation history, shared by every agent on the store.
        migrator.registerMigration("v6 reconciliation history") { db in
            try db.execute(sql: """
                CREATE TABLE reconciliation (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, environment TEXT NOT NULL, revision TEXT NOT NULL,
                    declared_digest TEXT NOT NULL, result TEXT NOT NULL, changes INTEGER NOT NULL, message TEXT,
                    milliseconds INTEGER NOT NULL, at INTEGER NOT NULL, first_at INTEGER NOT NULL, runs INTEGER NOT NULL,
                    agent TEXT NOT NULL);
                CREATE INDEX reconciliation_environment ON reconciliation (environment, id);
                """)
        }
        return migrator
    }

    /// Runs `body` in one write transaction (`kind`, or GRDB's default); SQLite's errors become `StateError`s.
    private func run<T>(_ kind: Database.TransactionKind? = nil, _ body: (Database) throws -> T) throws -> T {
        do {
            guard let kind else { return try queue.write(body) }
            var result: T?
            try queue.inTransaction(kind) { db in
                result = try body(db)
                return .commit
            }
            return result!
        } catch let error as StateError {
            throw error
        } catch {
            throw StateError.storage("\(error)")
        }
    }

    public func serial(environment: String) async throws -> Int {
        try run { db in try Int.fetchOne(db, sql: "SELECT serial FROM environment WHERE name = ?", arguments: [environment]) ?? 0 }
    }

    private static let columns = "kind, name, version, digest, content, source_commit, tag, deployed_by, deployed_at"

    public func deployed(environment: String, content: Bool) async throws -> [StoredArtifact] {
        try run { db in
            let statement = try db.makeStatement(sql: "SELECT \(Self.columns) FROM deployed WHERE environment = ? ORDER BY kind, name")
            try statement.setArguments([environment])
            var stored: [StoredArtifact] = []
            try Self.read(statement, content: content, into: &stored)
            return stored
        }
    }

    public func deployed(environment: String, ids: Set<ArtifactID>) async throws -> [StoredArtifact] {
        try run { db in
            let statement = try db.makeStatement(sql: "SELECT \(Self.columns) FROM deployed WHERE environment = ? AND kind = ? AND name = ?")
            var stored: [StoredArtifact] = []
            for id in ids.sorted() {
                try statement.setArguments([environment, id.kindColumn, id.name])
                try Self.read(statement, content: true, into: &stored)
            }
            return stored
        }
    }

    /// Reads rows of `columns` through SQLite's C API (a plan reads every row, and GRDB's typed row access costs more
    /// than the rest); drift is checked by hashing the content's bytes as SQLite holds them.
    private static func read(_ statement: Statement, content: Bool, into stored: inout [StoredArtifact]) throws {
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        func bytes(_ column: Int32) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(start: sqlite3_column_text(raw, column), count: Int(sqlite3_column_bytes(raw, column)))
        }
        func text(_ column: Int32) -> String { String(decoding: bytes(column), as: UTF8.self) }
        while true {
            let step = sqlite3_step(raw)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw StateError.storage("reading deployed rows: \(String(cString: sqlite3_errmsg(sqlite3_db_handle(raw))))") }
            guard let kind = ArtifactKind(rawValue: text(0)), ArtifactID.isValidName(text(1)), let version = SemVer(text(2)) else {
                throw StateError.storage("a deployed row is malformed (kind '\(text(0))', name '\(text(1))', version '\(text(2))'); the store was edited outside cairn: restore it from a backup or delete the row")
            }
            let digest = text(3)
            let contentBytes = bytes(4)
            let drifted = SHA256.hash(data: contentBytes).hexString != digest
            let artifact = DeployedArtifact(
                version: ArtifactVersion(id: ArtifactID(kind: kind, name: text(1)), version: version), digest: digest,
                content: content ? String(decoding: contentBytes, as: UTF8.self) : "", commit: text(5), tag: text(6),
                deployedBy: text(7), deployedAt: sqlite3_column_int64(raw, 8))
            stored.append(StoredArtifact(artifact: artifact, drifted: drifted))
        }
    }

    public func firstSightings(of objects: [String], now: Int64) async throws -> [String: Int64] {
        guard !objects.isEmpty else { return [:] }
        return try run { db in
            let insert = try db.makeStatement(sql: "INSERT OR IGNORE INTO tag_sighting (object, first_seen) VALUES (?, ?)")
            let select = try db.makeStatement(sql: "SELECT first_seen FROM tag_sighting WHERE object = ?")
            var seen: [String: Int64] = [:]
            for object in Set(objects) {
                try insert.execute(arguments: [object, now])
                seen[object] = try Int64.fetchOne(select, arguments: [object])
            }
            return seen
        }
    }

    public func recordReconciliation(_ reconciliation: Reconciliation) async throws {
        // Immediate: the newest entry is read and then written by one writer at a time, across processes.
        try run(.immediate) { db in
            let environment = reconciliation.environment
            if let (id, newest) = try Self.reconciliations(db, environment: environment, limit: 1).first, newest.absorbs(reconciliation) {
                let merged = newest.merged(with: reconciliation)
                try db.execute(sql: "UPDATE reconciliation SET changes = ?, milliseconds = ?, at = ?, runs = ?, agent = ? WHERE id = ?",
                               arguments: [merged.changes, merged.milliseconds, merged.at, merged.runs, merged.agent, id])
            } else {
                try db.execute(sql: """
                    INSERT INTO reconciliation (environment, revision, declared_digest, result, changes, message, milliseconds, at, first_at, runs, agent)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [environment, reconciliation.revision, reconciliation.declaredDigest, reconciliation.result.rawValue,
                                       reconciliation.changes, reconciliation.message, reconciliation.milliseconds, reconciliation.at,
                                       reconciliation.firstAt, reconciliation.runs, reconciliation.agent])
                try db.execute(sql: """
                    DELETE FROM reconciliation WHERE environment = ?
                        AND id NOT IN (SELECT id FROM reconciliation WHERE environment = ? ORDER BY id DESC LIMIT ?)
                    """, arguments: [environment, environment, Reconciliation.kept])
            }
        }
    }

    public func reconciliations(environment: String, limit: Int) async throws -> [Reconciliation] {
        try run { db in try Self.reconciliations(db, environment: environment, limit: limit).map(\.1) }
    }

    /// An environment's newest `limit` entries with their row ids, newest first.
    private static func reconciliations(_ db: Database, environment: String, limit: Int) throws -> [(Int64, Reconciliation)] {
        try Row.fetchAll(db, sql: """
            SELECT id, revision, declared_digest, result, changes, message, milliseconds, at, first_at, runs, agent
            FROM reconciliation WHERE environment = ? ORDER BY id DESC LIMIT ?
            """, arguments: [environment, max(0, limit)]).map { row in
            let result: String = row[3]
            guard let known = Reconciliation.Result(rawValue: result) else {
                throw StateError.storage("a reconciliation of \(environment) has the unknown result '\(result)'; the store was edited outside cairn")
            }
            return (row[0], Reconciliation(environment: environment, revision: row[1], declaredDigest: row[2], result: known, changes: row[4],
                                           message: row[5], milliseconds: row[6], at: row[7], firstAt: row[8], runs: row[9], agent: row[10]))
        }
    }

    public func deployedMark(environment: String) async throws -> [UInt8]? {
        try run { db in try Self.mark(of: environment, in: db) }
    }

    /// An environment's deployed mark, inside the caller's transaction.
    private static func mark(of environment: String, in db: Database) throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT mark FROM deployed_mark WHERE environment = ?", arguments: [environment]).map { [UInt8]($0) }
    }

    public func write(_ change: StateChange) async throws -> Committed {
        try change.checkDeployable()
        return try run { db in
            let current = try Int.fetchOne(db, sql: "SELECT serial FROM environment WHERE name = ?", arguments: [change.environment]) ?? 0
            guard current == change.expectedSerial else {
                throw StateError.staleSerial(environment: change.environment, expected: change.expectedSerial, actual: current)
            }
            if let lease = change.lease { try Self.checkHeld(lease, in: db) }
            let previousMark = try Self.mark(of: change.environment, in: db)
            // One prepared statement each: preparing 10,000 times cost more than the writes.
            let delete = try db.makeStatement(sql: "DELETE FROM deployed WHERE environment = ? AND kind = ? AND name = ?")
            for id in change.deletions {
                try delete.execute(arguments: [change.environment, id.kindColumn, id.name])
            }
            try Self.write(change.upserts, environment: change.environment, in: db)
            try db.execute(sql: "INSERT OR REPLACE INTO environment (name, serial) VALUES (?, ?)", arguments: [change.environment, current + 1])
            try Self.append(change.audit, in: db)
            return Committed(serial: current + 1, previousMark: previousMark, mark: try Self.mark(of: change.environment, in: db))
        }
    }

    /// Inserts or replaces deployed rows of `environment`, inside the caller's transaction, with one prepared statement.
    private static func write(_ rows: [DeployedArtifact], environment: String, in db: Database) throws {
        let upsert = try db.makeStatement(sql: """
            INSERT OR REPLACE INTO deployed (environment, kind, name, version, digest, content, source_commit, tag, deployed_by, deployed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for row in rows {
            try upsert.execute(arguments: [environment, row.id.kindColumn, row.id.name, row.version.version.description, row.digest,
                                           row.content, row.commit, row.tag, row.deployedBy, row.deployedAt])
        }
    }

    public func appendAudit(_ drafts: [AuditDraft]) async throws {
        try run { db in try Self.append(drafts, in: db) }
    }

    /// Numbers and chains drafts after the current head, inside the caller's transaction.
    private static func append(_ drafts: [AuditDraft], in db: Database) throws {
        guard !drafts.isEmpty else { return }
        let head = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1")
        var sequence: Int64 = head?["sequence"] ?? 0
        var previous: String = head?["hash"] ?? AuditChain.genesis
        let records = drafts.map { draft in
            sequence += 1
            let record = AuditChain.seal(draft, sequence: sequence, previousHash: previous)
            previous = record.hash
            return record
        }
        try insert(records, in: db)
    }

    /// Inserts sealed records as they are, inside the caller's transaction.
    private static func insert(_ records: [AuditRecord], in db: Database) throws {
        let statement = try db.makeStatement(sql: "INSERT INTO audit (\(auditColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for record in records {
            try statement.execute(arguments: [record.sequence, record.time, record.actor, record.action, record.environment,
                                              record.artifact, record.digest, record.commit, record.tag, record.planSummary,
                                              record.compliance, record.previousHash, record.hash])
        }
    }

    public func auditRecords(_ query: AuditQuery) async throws -> [AuditRecord] {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let environment = query.environment { conditions.append("environment = ?"); arguments.append(environment) }
        if let artifact = query.artifact {
            conditions.append("(artifact = ? OR artifact LIKE ?)")
            arguments.append(artifact)
            arguments.append(artifact + "@%")
        }
        if let since = query.since { conditions.append("time >= ?"); arguments.append(since) }
        if let until = query.until { conditions.append("time <= ?"); arguments.append(until) }
        if query.after > 0 { conditions.append("sequence > ?"); arguments.append(query.after) }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let limit = query.limit.map { " LIMIT \(max(0, $0))" } ?? ""
        return try run { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.auditColumns) FROM audit" + filter + " ORDER BY sequence" + limit, arguments: StatementArguments(arguments))
                .map(Self.record)
        }
    }

    public func auditHash(sequence: Int64) async throws -> String? {
        try run { db in try String.fetchOne(db, sql: "SELECT hash FROM audit WHERE sequence = ?", arguments: [sequence]) }
    }

    /// Splits the chain into one segment per core, each read on its own connection with its columns taken as
    /// bytes straight from SQLite into the canonical body (no `String` per field), then joins the segments.
    public func verifyAudit() async throws -> AuditVerification {
        let last = try run { db in try Int64.fetchOne(db, sql: "SELECT max(sequence) FROM audit") } ?? 0
        return try verifyAudit(segments: min(ProcessInfo.processInfo.activeProcessorCount, Int(last / 50_000)))
    }

    /// Verifies the chain in `segments` parts read in parallel (tests pick the count; `verifyAudit()` uses one per
    /// core for long chains).
    public func verifyAudit(segments: Int) throws -> AuditVerification {
        let last = try run { db in try Int64.fetchOne(db, sql: "SELECT max(sequence) FROM audit") } ?? 0
        let parts = Int64(max(1, segments))
        // Segment k holds sequences in (bounds[k], bounds[k+1]]; the ends are open so that no row falls outside.
        let bounds = (0...parts).map { k in k == 0 ? Int64.min : k == parts ? Int64.max : last * k / parts }
        var segments = [Result<AuditChain.Verifier, any Error>](repeating: .success(AuditChain.Verifier()), count: Int(parts))
        segments.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: Int(parts)) { part in
                output[part] = Result {
                    var verifier = part == 0 ? AuditChain.Verifier() : AuditChain.Verifier.segment()
                    let reader = part == 0 ? queue : try DatabaseQueue(path: path, configuration: Self.readOnly)
                    try reader.read { db in try Self.verify(db, after: bounds[part], upTo: bounds[part + 1], into: &verifier) }
                    return verifier
                }
            }
        }
        let whole = AuditChain.Verifier.joined(try segments.map { try $0.get() })
        return AuditVerification(records: whole.count, firstBad: whole.firstBad, headHash: whole.headHash, lastSequence: whole.lastSequence)
    }

    private static var readOnly: Configuration {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        return configuration
    }

    /// Feeds the records numbered in (`lower`, `upper`] to `verifier`, in batches of 20,000.
    private static func verify(_ db: Database, after lower: Int64, upTo upper: Int64, into verifier: inout AuditChain.Verifier) throws {
        let statement = try db.makeStatement(sql: "SELECT \(auditColumns) FROM audit WHERE sequence > ? AND sequence <= ? ORDER BY sequence")
        try statement.setArguments([lower, upper])
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        func text(_ column: Int32, into out: inout [UInt8]) {
            let count = Int(sqlite3_column_bytes(raw, column))
            guard let start = sqlite3_column_text(raw, column) else { return }
            out.append(contentsOf: UnsafeBufferPointer(start: start, count: count))
        }
        func quoted(_ column: Int32, into out: inout [UInt8]) {
            let start = sqlite3_column_text(raw, column)
            let count = Int(sqlite3_column_bytes(raw, column))
            JSONValue.appendQuoted(utf8: UnsafeBufferPointer(start: start, count: start == nil ? 0 : count), to: &out)
        }
        var batch = AuditChain.Batch()
        while true {
            let step = sqlite3_step(raw)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw StateError.storage("reading the audit table: \(String(cString: sqlite3_errmsg(db.sqliteConnection)))") }
            let sequence = sqlite3_column_int64(raw, 0)
            batch.append(sequence: sequence, body: { out in
                AuditRecord.appendCanonicalBody(to: &out, sequence: sequence, time: sqlite3_column_int64(raw, 1)) { field, out in
                    quoted(Int32(AuditChain.column(of: field)), into: &out)
                }
            }, hash: { text(12, into: &$0) }, previousHash: { text(11, into: &$0) })
            if batch.count == 20_000 {
                verifier.walk(batch, intact: AuditChain.intact(batch, workers: 1))
                batch.removeAll()
            }
        }
        verifier.walk(batch, intact: AuditChain.intact(batch, workers: 1))
    }

    /// Columns in the order `record(_:)` reads them by position (faster than by name over a million rows).
    static let auditColumns = AuditChain.columns

    static func record(_ row: Row) -> AuditRecord {
        AuditRecord(sequence: row[0], entry: AuditDraft(time: row[1], actor: row[2], action: row[3] as String, environment: row[4],
                                                       artifact: row[5], digest: row[6], commit: row[7], tag: row[8], planSummary: row[9],
                                                       compliance: row[10]),
                    previousHash: row[11], hash: row[12])
    }

    // MARK: - Leases

    public func acquireLease(environment: String, holder: String, seconds: Int) async throws -> Lease {
        try run { db in
            let now = Int64(Date().timeIntervalSince1970)
            let process = LeaseHolder.current
            var fence: Int64 = 0
            if let row = try Row.fetchOne(db, sql: "SELECT id, holder, expires_at, host, pid, fence FROM lease WHERE environment = ?", arguments: [environment]) {
                let held = Lease(environment: environment, id: row[0], holder: row[1], expiresAt: row[2], host: row[3], pid: row[4], fence: row[5])
                fence = held.fence
                if let takeover = try LeaseRules.takeover(of: held, by: process, now: now) {
                    try Self.append([AuditDraft(time: now, actor: holder, action: .leaseTakeover, environment: environment, planSummary: takeover)], in: db)
                }
            }
            let lease = Lease(environment: environment, id: UUID().uuidString.lowercased(), holder: holder, expiresAt: now + Int64(seconds),
                              host: process.host, pid: process.pid, fence: fence + 1)
            try db.execute(sql: "INSERT OR REPLACE INTO lease (environment, id, holder, expires_at, host, pid, fence) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [lease.environment, lease.id, lease.holder, lease.expiresAt, lease.host, lease.pid, lease.fence])
            return lease
        }
    }

    /// Refuses unless `lease` is still the environment's lease (same id and fence).
    private static func checkHeld(_ lease: Lease, in db: Database) throws {
        let row = try Row.fetchOne(db, sql: "SELECT id, fence FROM lease WHERE environment = ?", arguments: [lease.environment])
        let (id, fence): (String, Int64) = row.map { ($0[0], $0[1]) } ?? ("", 0)
        guard id == lease.id, fence == lease.fence else { throw StateError.leaseLost(lease, current: id.isEmpty ? nil : fence) }
    }

    public func renewLease(_ lease: Lease, seconds: Int) async throws -> Lease {
        try run { db in
            var renewed = lease
            renewed.expiresAt = Int64(Date().timeIntervalSince1970) + Int64(seconds)
            try db.execute(sql: "UPDATE lease SET expires_at = ? WHERE environment = ? AND id = ? AND fence = ? AND id <> ''",
                           arguments: [renewed.expiresAt, lease.environment, lease.id, lease.fence])
            if db.changesCount == 0 { try Self.checkHeld(lease, in: db) }
            return renewed
        }
    }

    public func releaseLease(_ lease: Lease) async throws {
        try run { db in
            try db.execute(sql: "UPDATE lease SET id = '', holder = '', expires_at = 0 WHERE environment = ? AND id = ? AND id <> ''",
                           arguments: [lease.environment, lease.id])
        }
    }

    public func forceUnlock(environment: String, id: String) async throws {
        try run { db in
            try db.execute(sql: "UPDATE lease SET id = '', holder = '', expires_at = 0 WHERE environment = ? AND id = ? AND id <> ''",
                           arguments: [environment, id])
            guard db.changesCount > 0 else { throw StateError.noSuchLease(environment: environment, id: id) }
        }
    }

    // MARK: - Copying and backups

    public func environments() async throws -> [(name: String, serial: Int)] {
        try run { db in try Row.fetchAll(db, sql: "SELECT name, serial FROM environment ORDER BY name").map { ($0[0], $0[1]) } }
    }

    public func auditRecords(after sequence: Int64, limit: Int) async throws -> [AuditRecord] {
        try run { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.auditColumns) FROM audit WHERE sequence > ? ORDER BY sequence LIMIT ?", arguments: [sequence, limit]).map(Self.record)
        }
    }

    public func isEmpty() async throws -> Bool {
        try run { db in
            try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM environment) + (SELECT count(*) FROM deployed) + (SELECT count(*) FROM audit)") == 0
        }
    }

    public func importEnvironment(_ name: String, serial: Int, rows: [DeployedArtifact]) async throws {
        try run { db in
            guard try Int.fetchOne(db, sql: "SELECT serial FROM environment WHERE name = ?", arguments: [name]) == nil else {
                throw StateError.storage("environment '\(name)' exists in \(path) already; nothing was copied into it")
            }
            try Self.write(rows, environment: name, in: db)
            try db.execute(sql: "INSERT INTO environment (name, serial) VALUES (?, ?)", arguments: [name, serial])
        }
    }

    public func sightings() async throws -> [String: Int64] {
        try run { db in
            var all: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT object, first_seen FROM tag_sighting") { all[row[0]] = row[1] }
            return all
        }
    }

    /// `ANALYZE`: statistics for the query planner over what was just copied in.
    public func settle() async throws {
        try run { db in try db.execute(sql: "ANALYZE") }
    }

    public func importSightings(_ sightings: [String: Int64]) async throws {
        try run { db in
            let insert = try db.makeStatement(sql: "INSERT OR IGNORE INTO tag_sighting (object, first_seen) VALUES (?, ?)")
            for (object, time) in sightings { try insert.execute(arguments: [object, time]) }
        }
    }

    public func importAudit(_ records: [AuditRecord]) async throws {
        try run { db in
            let head = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1")
            try Self.checkContinues(records, sequence: head?["sequence"] ?? 0, hash: head?["hash"] ?? AuditChain.genesis)
            try Self.insert(records, in: db)
        }
    }

    /// A consistent copy of the whole store in one new file (`VACUUM INTO`), taken while others read and write.
    public func backup(to destination: String) throws {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw StateError.storage("\(destination) exists; name a new file for the backup")
        }
        do {
            try queue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [destination]) }
        } catch {
            throw StateError.storage("cannot back up \(path) to \(destination): \(error)")
        }
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).hexString
    }
}

