import CairnModel
import CairnState
import Crypto
import Foundation
import Logging
import PostgresNIO

/// Deployed state and the audit chain in a PostgreSQL database, shared by every machine that names it: the
/// `StateStore` contract of `SQLiteStateStore`, proven by the same conformance suite.
///
/// - **One apply at a time**: the apply lease is a row (holder, expiry, fence), taken and checked inside
///   transactions with row locks; no session state survives a statement, so a transaction-mode pooler in between
///   changes nothing. Times are the server's clock, the one clock all machines share.
/// - **The chain never forks**: every append locks the one-row `audit_head` (`SELECT ... FOR UPDATE`), so concurrent
///   writers append in turn; the head also records the last sequence, so a chain cut short at its end is caught.
/// - **Locks in one order** (lease, environment, audit head), so that no two operations wait on each other.
public final class PostgresStateStore: StateTransfer {
    public let location: PostgresLocation
    public var identity: String { location.identity }
    private let slot: PostgresConnectionSlot
    private let tables: Tables

    private init(location: PostgresLocation) {
        self.location = location
        slot = PostgresConnectionSlot(location: location)
        tables = Tables(schema: location.schema)
    }

    /// Connects, and migrates the schema on first use (refusing a store migrated by a newer cairn, or a schema that
    /// holds someone else's tables). `software` is recorded with each migration it applies (`cairn 0.9.0`).
    public static func open(_ location: PostgresLocation, software: String = "cairn") async throws -> PostgresStateStore {
        let store = PostgresStateStore(location: location)
        do {
            try await store.slot.withConnection { connection in
                try await PostgresSchema.prepare(connection, location: location, appliedBy: software)
            }
        } catch {
            await store.close()
            throw PostgresFailure.describe(error, doing: "cannot open \(location.identity)")
        }
        return store
    }

    /// Closes the connection (a process that exits need not).
    public func close() async { await slot.close() }

    struct Tables: Sendable {
        let environment, deployed, audit, auditHead, lease, deployedMark, tagSighting, reconciliation: String
        let schema: String

        init(schema: String) {
            environment = schema + ".environment"
            deployed = schema + ".deployed"
            audit = schema + ".audit"
            auditHead = schema + ".audit_head"
            lease = schema + ".lease"
            deployedMark = schema + ".deployed_mark"
            tagSighting = schema + ".tag_sighting"
            reconciliation = schema + ".reconciliation"
            self.schema = schema
        }
    }

    private var logger: Logger { PostgresConnectionSlot.logger }

    /// Runs `body` in one transaction; any error rolls it back.
    private func transaction<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let logger = self.logger
        do {
            return try await slot.withConnection { connection in
                do {
                    try await connection.query("BEGIN", logger: logger)
                    let value = try await body(connection)
                    try await connection.query("COMMIT", logger: logger)
                    return value
                } catch {
                    if !connection.isClosed { _ = try? await connection.query("ROLLBACK", logger: logger) }
                    throw error
                }
            }
        } catch {
            throw PostgresFailure.describe(error, doing: doing)
        }
    }

    /// Runs one statement outside a transaction.
    private func read<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await slot.withConnection(body)
        } catch {
            throw PostgresFailure.describe(error, doing: doing)
        }
    }

    // MARK: - Deployed rows

    public func serial(environment: String) async throws -> Int {
        let logger = self.logger
        return try await read("reading the serial of \(environment)") { connection in
            let rows = try await connection.query("SELECT serial FROM \(unescaped: self.tables.environment) WHERE name = \(environment)", logger: logger)
            for try await row in rows { return Int(try row.decode(Int64.self)) }
            return 0
        }
    }

    /// Columns in the order `artifact(_:)` reads them; drift is judged by the server, which hashes the content's
    /// UTF-8 bytes (the database encoding is checked to be UTF8), so a plan that needs no content does not fetch it.
    private func selectDeployed(content: Bool) -> String {
        "SELECT kind, name, version, digest, \(content ? "content" : "''"), source_commit, tag, deployed_by, deployed_at, "
            + "encode(sha256(convert_to(content, 'UTF8')), 'hex') <> digest FROM \(tables.deployed)"
    }

    public func deployed(environment: String, content: Bool) async throws -> [StoredArtifact] {
        let logger = self.logger
        let sql = selectDeployed(content: content) + #" WHERE environment = $1 ORDER BY kind COLLATE "C", name COLLATE "C""#
        return try await read("reading the deployed rows of \(environment)") { connection in
            var bindings = PostgresBindings()
            bindings.append(environment)
            return try await Self.artifacts(try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger))
        }
    }

    public func deployed(environment: String, ids: Set<ArtifactID>) async throws -> [StoredArtifact] {
        guard !ids.isEmpty else { return [] }
        let logger = self.logger
        let sorted = ids.sorted()
        let sql = selectDeployed(content: true)
            + #" WHERE environment = $1 AND (kind, name) IN (SELECT * FROM unnest($2::text[], $3::text[])) ORDER BY kind COLLATE "C", name COLLATE "C""#
        return try await read("reading deployed rows of \(environment)") { connection in
            var bindings = PostgresBindings()
            bindings.append(environment)
            bindings.append(sorted.map(\.kindColumn))
            bindings.append(sorted.map(\.name))
            return try await Self.artifacts(try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger))
        }
    }

    private static func artifacts(_ rows: PostgresRowSequence) async throws -> [StoredArtifact] {
        var stored: [StoredArtifact] = []
        for try await row in rows {
            let (kindText, name, versionText, digest, content, commit, tag, deployedBy, deployedAt, drifted) =
                try row.decode((String, String, String, String, String, String, String, String, Int64, Bool).self)
            guard let kind = ArtifactKind(rawValue: kindText), ArtifactID.isValidName(name), let version = SemVer(versionText) else {
                throw StateError.storage("a deployed row is malformed (kind '\(kindText)', name '\(name)', version '\(versionText)'); the store was edited outside cairn: restore it from a backup or delete the row")
            }
            let artifact = DeployedArtifact(version: ArtifactVersion(id: ArtifactID(kind: kind, name: name), version: version), digest: digest,
                                            content: content, commit: commit, tag: tag, deployedBy: deployedBy, deployedAt: deployedAt)
            stored.append(StoredArtifact(artifact: artifact, drifted: drifted))
        }
        return stored
    }

    public func firstSightings(of objects: [String], now: Int64) async throws -> [String: Int64] {
        guard !objects.isEmpty else { return [:] }
        let logger = self.logger, table = tables.tagSighting, unique = Array(Set(objects))
        return try await transaction("recording tag sightings") { connection in
            try await connection.query("INSERT INTO \(unescaped: table) (object, first_seen) SELECT unnest(\(unique)::text[]), \(now) ON CONFLICT DO NOTHING",
                                       logger: logger)
            var seen: [String: Int64] = [:]
            for try await (object, time) in try await connection.query("SELECT object, first_seen FROM \(unescaped: table) WHERE object = ANY(\(unique))",
                                                                         logger: logger).decode((String, Int64).self) {
                seen[object] = time
            }
            return seen
        }
    }

    public func deployedMark(environment: String) async throws -> [UInt8]? {
        let tables = self.tables
        return try await read("reading the deployed mark of \(environment)") { connection in
            try await Self.mark(of: environment, tables: tables, connection: connection)
        }
    }

    /// An environment's deployed mark, inside the caller's transaction; with `locking`, its row stays locked until
    /// the transaction ends.
    private static func mark(of environment: String, tables: Tables, connection: PostgresConnection, locking: Bool = false) async throws -> [UInt8]? {
        let query: PostgresQuery = locking
            ? "SELECT mark FROM \(unescaped: tables.deployedMark) WHERE environment = \(environment) FOR UPDATE"
            : "SELECT mark FROM \(unescaped: tables.deployedMark) WHERE environment = \(environment)"
        for try await row in try await connection.query(query, logger: PostgresConnectionSlot.logger) {
            return Array(try row.decode(ByteBuffer.self).readableBytesView)
        }
        return nil
    }

    public func write(_ change: StateChange) async throws -> Committed {
        try change.checkDeployable()
        let logger = self.logger
        let tables = self.tables
        return try await transaction("applying to \(change.environment)") { connection in
            if let lease = change.lease { try await Self.checkHeld(lease, tables: tables, connection: connection) }
            try await connection.query("INSERT INTO \(unescaped: tables.environment) (name, serial) VALUES (\(change.environment), 0) ON CONFLICT DO NOTHING", logger: logger)
            var current: Int64 = 0
            for try await row in try await connection.query("SELECT serial FROM \(unescaped: tables.environment) WHERE name = \(change.environment) FOR UPDATE", logger: logger) {
                current = try row.decode(Int64.self)
            }
            guard current == Int64(change.expectedSerial) else {
                throw StateError.staleSerial(environment: change.environment, expected: change.expectedSerial, actual: Int(current))
            }
            // Locked until this change commits: an edit of a row by hand (whose trigger moves the mark) waits for it, or
            // came before and shows in the mark read here.
            let previousMark = try await Self.mark(of: change.environment, tables: tables, connection: connection, locking: true)
            if !change.deletions.isEmpty {
                try await connection.query("""
                    DELETE FROM \(unescaped: tables.deployed) WHERE environment = \(change.environment)
                    AND (kind, name) IN (SELECT * FROM unnest(\(change.deletions.map(\.kindColumn))::text[], \(change.deletions.map(\.name))::text[]))
                    """, logger: logger)
            }
            try await Self.write(change.upserts, environment: change.environment, tables: tables, connection: connection)
            try await connection.query("UPDATE \(unescaped: tables.environment) SET serial = \(current + 1) WHERE name = \(change.environment)", logger: logger)
            try await Self.append(change.audit, tables: tables, connection: connection)
            return Committed(serial: Int(current + 1), previousMark: previousMark,
                             mark: try await Self.mark(of: change.environment, tables: tables, connection: connection))
        }
    }

    /// Inserts or replaces deployed rows of `environment`, inside the caller's transaction: one statement for all rows
    /// (10,000 statements cost more than the writes), in slices that keep a statement's arrays to a few megabytes.
    private static func write(_ rows: [DeployedArtifact], environment: String, tables: Tables, connection: PostgresConnection) async throws {
        for slice in slices(rows, bytes: 8 << 20, size: { $0.content.utf8.count + 200 }) {
            let batch = rows[slice]
            try await connection.query("""
                INSERT INTO \(unescaped: tables.deployed) (environment, kind, name, version, digest, content, source_commit, tag, deployed_by, deployed_at)
                SELECT \(environment), * FROM unnest(\(batch.map(\.id.kindColumn))::text[], \(batch.map(\.id.name))::text[],
                    \(batch.map(\.version.version.description))::text[], \(batch.map(\.digest))::text[], \(batch.map(\.content))::text[],
                    \(batch.map(\.commit))::text[], \(batch.map(\.tag))::text[], \(batch.map(\.deployedBy))::text[], \(batch.map(\.deployedAt))::bigint[])
                ON CONFLICT (environment, kind, name) DO UPDATE SET version = EXCLUDED.version, digest = EXCLUDED.digest,
                    content = EXCLUDED.content, source_commit = EXCLUDED.source_commit, tag = EXCLUDED.tag,
                    deployed_by = EXCLUDED.deployed_by, deployed_at = EXCLUDED.deployed_at
                """, logger: PostgresConnectionSlot.logger)
        }
    }

    /// Index ranges of `items` whose `size`s add up to at most `bytes` each (one item at least).
    static func slices<T>(_ items: [T], bytes: Int, size: (T) -> Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        var total = 0
        for (index, item) in items.enumerated() {
            let itemSize = size(item)
            if index > start && total + itemSize > bytes {
                ranges.append(start..<index)
                start = index
                total = 0
            }
            total += itemSize
        }
        if start < items.count { ranges.append(start..<items.count) }
        return ranges
    }

    // MARK: - Audit

    public func appendAudit(_ drafts: [AuditDraft]) async throws {
        guard !drafts.isEmpty else { return }
        let tables = self.tables
        try await transaction("appending to the audit trail") { connection in
            try await Self.append(drafts, tables: tables, connection: connection)
        }
    }

    /// Numbers and chains drafts after the head, inside the caller's transaction. Locking the head row makes a
    /// concurrent appender wait, then read the head this one wrote.
    private static func append(_ drafts: [AuditDraft], tables: Tables, connection: PostgresConnection) async throws {
        guard !drafts.isEmpty else { return }
        let logger = PostgresConnectionSlot.logger
        var sequence: Int64 = 0
        var previous = AuditChain.genesis
        for try await row in try await connection.query("SELECT sequence, hash FROM \(unescaped: tables.auditHead) FOR UPDATE", logger: logger) {
            (sequence, previous) = try row.decode((Int64, String).self)
        }
        var records: [AuditRecord] = []
        records.reserveCapacity(drafts.count)
        for draft in drafts {
            sequence += 1
            let record = AuditChain.seal(draft, sequence: sequence, previousHash: previous)
            records.append(record)
            previous = record.hash
        }
        try await insert(records, tables: tables, connection: connection)
        try await connection.query("UPDATE \(unescaped: tables.auditHead) SET sequence = \(sequence), hash = \(previous)", logger: logger)
    }

    /// Inserts sealed records as they are.
    private static func insert(_ records: [AuditRecord], tables: Tables, connection: PostgresConnection) async throws {
        let logger = PostgresConnectionSlot.logger
        for slice in slices(records, bytes: 8 << 20, size: { $0.compliance.utf8.count + $0.planSummary.utf8.count + 400 }) {
            let batch = records[slice]
            try await connection.query("""
                INSERT INTO \(unescaped: tables.audit) (sequence, time, actor, action, environment, artifact, digest, source_commit, tag, plan_summary, compliance, previous_hash, hash)
                SELECT * FROM unnest(\(batch.map(\.sequence))::bigint[], \(batch.map(\.time))::bigint[], \(batch.map(\.actor))::text[],
                    \(batch.map(\.action))::text[], \(batch.map(\.environment))::text[], \(batch.map(\.artifact))::text[], \(batch.map(\.digest))::text[],
                    \(batch.map(\.commit))::text[], \(batch.map(\.tag))::text[], \(batch.map(\.planSummary))::text[], \(batch.map(\.compliance))::text[],
                    \(batch.map(\.previousHash))::text[], \(batch.map(\.hash))::text[])
                """, logger: logger)
        }
    }

    static let auditColumns = AuditChain.columns

    public func auditRecords(_ query: AuditQuery) async throws -> [AuditRecord] {
        var conditions: [String] = []
        var bindings = PostgresBindings()
        func bind(_ value: some PostgresNonThrowingEncodable) -> String {
            bindings.append(value)
            return "$\(bindings.count)"
        }
        if let environment = query.environment { conditions.append("environment = \(bind(environment))") }
        if let artifact = query.artifact {
            let exact = bind(artifact)
            conditions.append("(artifact = \(exact) OR starts_with(artifact, \(bind(artifact + "@"))))")
        }
        if let since = query.since { conditions.append("time >= \(bind(since))") }
        if let until = query.until { conditions.append("time <= \(bind(until))") }
        if query.after > 0 { conditions.append("sequence > \(bind(query.after))") }
        let sql = "SELECT \(Self.auditColumns) FROM \(tables.audit)" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY sequence" + (query.limit.map { " LIMIT \(max(0, $0))" } ?? "")
        let logger = self.logger
        let statement = PostgresQuery(unsafeSQL: sql, binds: bindings)
        return try await read("reading the audit trail") { connection in
            var records: [AuditRecord] = []
            for try await row in try await connection.query(statement, logger: logger) { records.append(try Self.record(row)) }
            return records
        }
    }

    static func record(_ row: PostgresRow) throws -> AuditRecord {
        let (sequence, time, actor, action, environment, artifact, digest, commit, tag, summary, compliance, previous, hash) =
            try row.decode((Int64, Int64, String, String, String, String, String, String, String, String, String, String, String).self)
        return AuditRecord(sequence: sequence, entry: AuditDraft(time: time, actor: actor, action: action, environment: environment, artifact: artifact,
                                                                 digest: digest, commit: commit, tag: tag, planSummary: summary, compliance: compliance),
                           previousHash: previous, hash: hash)
    }

    public func auditHash(sequence: Int64) async throws -> String? {
        let logger = self.logger
        return try await read("reading the audit trail") { connection in
            for try await row in try await connection.query("SELECT hash FROM \(unescaped: self.tables.audit) WHERE sequence = \(sequence)", logger: logger) {
                return try row.decode(String.self)
            }
            return nil
        }
    }

    /// Reads the whole chain in one snapshot through libpq's binary COPY (`AuditCopy`), on a thread of its own (libpq
    /// blocks), and compares its end with the head the appenders keep: records deleted from the end show as missing.
    public func verifyAudit() async throws -> AuditVerification {
        let location = self.location, tables = self.tables
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try AuditCopy.verify(location, audit: tables.audit, auditHead: tables.auditHead) })
            }
            thread.name = "cairn audit verify"
            thread.start()
        }
    }

    // MARK: - Reconciliation history

    public func recordReconciliation(_ reconciliation: Reconciliation) async throws {
        let logger = self.logger, tables = self.tables, environment = reconciliation.environment
        try await transaction("recording a reconciliation of \(environment)") { connection in
            // One writer per environment at a time (a transaction-scoped lock, keyed by schema and environment).
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\("cairn reconcile " + tables.schema + " " + environment), 0))",
                                       logger: logger)
            if let (id, newest) = try await Self.reconciliations(environment: environment, limit: 1, tables: tables, connection: connection).first,
               newest.absorbs(reconciliation) {
                let merged = newest.merged(with: reconciliation)
                try await connection.query("""
                    UPDATE \(unescaped: tables.reconciliation) SET changes = \(merged.changes), milliseconds = \(merged.milliseconds), at = \(merged.at),
                        runs = \(merged.runs), agent = \(merged.agent) WHERE id = \(id)
                    """, logger: logger)
            } else {
                let r = reconciliation
                try await connection.query("""
                    INSERT INTO \(unescaped: tables.reconciliation)
                        (environment, revision, declared_digest, result, changes, message, milliseconds, at, first_at, runs, agent)
                    VALUES (\(environment), \(r.revision), \(r.declaredDigest), \(r.result.rawValue), \(r.changes), \(r.message), \(r.milliseconds),
                            \(r.at), \(r.firstAt), \(r.runs), \(r.agent))
                    """, logger: logger)
                try await connection.query("""
                    DELETE FROM \(unescaped: tables.reconciliation) WHERE environment = \(environment) AND id NOT IN
                        (SELECT id FROM \(unescaped: tables.reconciliation) WHERE environment = \(environment) ORDER BY id DESC LIMIT \(Reconciliation.kept))
                    """, logger: logger)
            }
        }
    }

    public func reconciliations(environment: String, limit: Int) async throws -> [Reconciliation] {
        let tables = self.tables
        return try await read("reading the reconciliations of \(environment)") { connection in
            try await Self.reconciliations(environment: environment, limit: limit, tables: tables, connection: connection).map(\.1)
        }
    }

    /// An environment's newest `limit` entries with their row ids, newest first.
    private static func reconciliations(environment: String, limit: Int, tables: Tables,
                                        connection: PostgresConnection) async throws -> [(Int64, Reconciliation)] {
        var found: [(Int64, Reconciliation)] = []
        for try await row in try await connection.query("""
            SELECT id, revision, declared_digest, result, changes, message, milliseconds, at, first_at, runs, agent
            FROM \(unescaped: tables.reconciliation) WHERE environment = \(environment) ORDER BY id DESC LIMIT \(max(0, limit))
            """, logger: PostgresConnectionSlot.logger) {
            let (id, revision, digest, result, changes, message, milliseconds, at, firstAt, runs, agent) =
                try row.decode((Int64, String, String, String, Int32, String?, Int32, Int64, Int64, Int32, String).self)
            guard let known = Reconciliation.Result(rawValue: result) else {
                throw StateError.storage("a reconciliation of \(environment) has the unknown result '\(result)'; the store was edited outside cairn")
            }
            found.append((id, Reconciliation(environment: environment, revision: revision, declaredDigest: digest, result: known, changes: Int(changes),
                                             message: message, milliseconds: Int(milliseconds), at: at, firstAt: firstAt, runs: Int(runs), agent: agent)))
        }
        return found
    }

    // MARK: - Leases

    public func acquireLease(environment: String, holder: String, seconds: Int) async throws -> Lease {
        let tables = self.tables
        let logger = self.logger
        return try await transaction("taking the apply lease of \(environment)") { connection in
            try await connection.query("""
                INSERT INTO \(unescaped: tables.lease) (environment, id, holder, expires_at, host, pid, fence)
                VALUES (\(environment), '', '', 0, '', 0, 0) ON CONFLICT DO NOTHING
                """, logger: logger)
            // SKIP LOCKED first: the row is locked by an apply committing under its lease (its commit checks the lease
            // with the row locked; waiting would hold this caller for as long as that commit takes), or by another
            // caller taking the lease right now. When the committed row names a lease, that one is held, whatever its
            // expiry says: refused at once, naming it. When it is free, someone is taking it this instant (a short
            // transaction): wait for them, then see who got it.
            func read(locking: Bool, waiting: Bool = false) async throws -> (Lease, Int64)? {
                let query: PostgresQuery = waiting ? """
                    SELECT id, holder, expires_at, host, pid, fence, extract(epoch FROM clock_timestamp())::bigint
                    FROM \(unescaped: tables.lease) WHERE environment = \(environment) FOR UPDATE
                    """ : locking ? """
                    SELECT id, holder, expires_at, host, pid, fence, extract(epoch FROM clock_timestamp())::bigint
                    FROM \(unescaped: tables.lease) WHERE environment = \(environment) FOR UPDATE SKIP LOCKED
                    """ : """
                    SELECT id, holder, expires_at, host, pid, fence, extract(epoch FROM clock_timestamp())::bigint
                    FROM \(unescaped: tables.lease) WHERE environment = \(environment)
                    """
                var found: (Lease, Int64)?
                for try await row in try await connection.query(query, logger: logger) {
                    let (id, holder, expiresAt, host, pid, fence, clock) = try row.decode((String, String, Int64, String, Int32, Int64, Int64).self)
                    found = (Lease(environment: environment, id: id, holder: holder, expiresAt: expiresAt, host: host, pid: pid, fence: fence), clock)
                }
                return found
            }
            var locked = try await read(locking: true)
            if locked == nil {
                guard let (committed, _) = try await read(locking: false) else {
                    throw StateError.storage("the lease row of \(environment) vanished while it was locked")
                }
                if !committed.id.isEmpty { throw StateError.leaseHeld(committed) }
                locked = try await read(locking: false, waiting: true)
            }
            guard let (held, now) = locked else { throw StateError.storage("the lease row of \(environment) vanished while it was locked") }
            if let takeover = try LeaseRules.takeover(of: held, by: LeaseHolder.current, now: now) {
                try await Self.append([AuditDraft(time: now, actor: holder, action: .leaseTakeover, environment: environment, planSummary: takeover)],
                                      tables: tables, connection: connection)
            }
            let process = LeaseHolder.current
            let lease = Lease(environment: environment, id: UUID().uuidString.lowercased(), holder: holder, expiresAt: now + Int64(seconds),
                              host: process.host, pid: process.pid, fence: held.fence + 1)
            try await connection.query("""
                UPDATE \(unescaped: tables.lease) SET id = \(lease.id), holder = \(lease.holder), expires_at = \(lease.expiresAt),
                    host = \(lease.host), pid = \(lease.pid), fence = \(lease.fence) WHERE environment = \(environment)
                """, logger: logger)
            return lease
        }
    }

    /// Refuses unless `lease` is still the environment's lease; locks its row until the transaction ends, so that no
    /// takeover can come between the check and the commit. With `skippingLocked`, a row another transaction has
    /// locked is not waited for: nothing is checked, and false is returned.
    @discardableResult
    private static func checkHeld(_ lease: Lease, tables: Tables, connection: PostgresConnection, skippingLocked: Bool = false) async throws -> Bool {
        let query: PostgresQuery = skippingLocked
            ? "SELECT id, fence FROM \(unescaped: tables.lease) WHERE environment = \(lease.environment) FOR UPDATE SKIP LOCKED"
            : "SELECT id, fence FROM \(unescaped: tables.lease) WHERE environment = \(lease.environment) FOR UPDATE"
        var current: (id: String, fence: Int64)?
        for try await row in try await connection.query(query, logger: PostgresConnectionSlot.logger) {
            current = try row.decode((String, Int64).self)
        }
        if skippingLocked && current == nil { return false }
        let (id, fence) = current ?? ("", 0)
        guard id == lease.id, fence == lease.fence else { throw StateError.leaseLost(lease, current: id.isEmpty ? nil : fence) }
        return true
    }

    public func renewLease(_ lease: Lease, seconds: Int) async throws -> Lease {
        let logger = self.logger
        let tables = self.tables
        let expiresAt: Int64? = try await transaction("renewing the apply lease of \(lease.environment)") { connection in
            // A row locked right now is left as it is: by this holder's own commit (which checks the lease under
            // that lock, whatever its expiry), or by someone taking the lease, who finds it held. Waiting would only
            // hold a connection until that commit ends.
            guard try await Self.checkHeld(lease, tables: tables, connection: connection, skippingLocked: true) else { return nil }
            var expiresAt: Int64?
            for try await row in try await connection.query("""
                UPDATE \(unescaped: tables.lease) SET expires_at = extract(epoch FROM clock_timestamp())::bigint + \(Int64(seconds))
                WHERE environment = \(lease.environment) RETURNING expires_at
                """, logger: logger) {
                expiresAt = try row.decode(Int64.self)
            }
            return expiresAt
        }
        var renewed = lease
        renewed.expiresAt = expiresAt ?? lease.expiresAt
        return renewed
    }

    public func releaseLease(_ lease: Lease) async throws {
        _ = try await free(environment: lease.environment, id: lease.id)
    }

    public func forceUnlock(environment: String, id: String) async throws {
        guard try await free(environment: environment, id: id) else { throw StateError.noSuchLease(environment: environment, id: id) }
    }

    /// Frees the lease `id` (keeping its row and fence); whether there was such a lease.
    private func free(environment: String, id: String) async throws -> Bool {
        let logger = self.logger
        return try await transaction("giving back the lease of \(environment)") { connection in
            let rows = try await connection.query("""
                UPDATE \(unescaped: self.tables.lease) SET id = '', holder = '', expires_at = 0
                WHERE environment = \(environment) AND id = \(id) AND id <> '' RETURNING fence
                """, logger: logger)
            var freed = false
            for try await _ in rows { freed = true }
            return freed
        }
    }

    // MARK: - Copying

    public func environments() async throws -> [(name: String, serial: Int)] {
        let logger = self.logger
        return try await read("listing environments") { connection in
            var environments: [(name: String, serial: Int)] = []
            for try await row in try await connection.query(#"SELECT name, serial FROM \#(unescaped: self.tables.environment) ORDER BY name COLLATE "C""#, logger: logger) {
                let (name, serial) = try row.decode((String, Int64).self)
                environments.append((name, Int(serial)))
            }
            return environments
        }
    }

    public func auditRecords(after sequence: Int64, limit: Int) async throws -> [AuditRecord] {
        let logger = self.logger
        return try await read("reading the audit trail") { connection in
            var records: [AuditRecord] = []
            for try await row in try await connection.query("""
                SELECT \(unescaped: Self.auditColumns) FROM \(unescaped: self.tables.audit) WHERE sequence > \(sequence) ORDER BY sequence LIMIT \(Int64(limit))
                """, logger: logger) {
                records.append(try Self.record(row))
            }
            return records
        }
    }

    public func isEmpty() async throws -> Bool {
        let logger = self.logger
        return try await read("inspecting \(identity)") { connection in
            for try await row in try await connection.query("""
                SELECT (SELECT count(*) FROM \(unescaped: self.tables.environment)) + (SELECT count(*) FROM \(unescaped: self.tables.deployed))
                    + (SELECT count(*) FROM \(unescaped: self.tables.audit))
                """, logger: logger) {
                return try row.decode(Int64.self) == 0
            }
            return true
        }
    }

    public func importEnvironment(_ name: String, serial: Int, rows: [DeployedArtifact]) async throws {
        let logger = self.logger
        let tables = self.tables
        try await transaction("copying environment \(name)") { connection in
            let inserted = try await connection.query("""
                INSERT INTO \(unescaped: tables.environment) (name, serial) VALUES (\(name), \(Int64(serial))) ON CONFLICT DO NOTHING RETURNING name
                """, logger: logger)
            var fresh = false
            for try await _ in inserted { fresh = true }
            guard fresh else { throw StateError.storage("environment '\(name)' exists in \(self.identity) already; nothing was copied into it") }
            try await Self.write(rows, environment: name, tables: tables, connection: connection)
        }
    }

    public func sightings() async throws -> [String: Int64] {
        let logger = self.logger, table = tables.tagSighting
        return try await read("reading tag sightings") { connection in
            var all: [String: Int64] = [:]
            for try await (object, time) in try await connection.query("SELECT object, first_seen FROM \(unescaped: table)", logger: logger)
                .decode((String, Int64).self) { all[object] = time }
            return all
        }
    }

    public func importSightings(_ sightings: [String: Int64]) async throws {
        guard !sightings.isEmpty else { return }
        let logger = self.logger, table = tables.tagSighting
        let objects = Array(sightings.keys), times = objects.map { sightings[$0]! }
        try await transaction("copying tag sightings") { connection in
            try await connection.query("INSERT INTO \(unescaped: table) (object, first_seen) SELECT * FROM unnest(\(objects)::text[], \(times)::bigint[]) ON CONFLICT DO NOTHING",
                                       logger: logger)
        }
    }

    /// `VACUUM ANALYZE` of every table: a bulk copy leaves pages that autovacuum has not visited yet, and until it
    /// does, each read of a row checks the row's visibility on its own (reading a freshly copied million-record chain
    /// took 2.2 s instead of 1.7 s here); vacuumed pages are marked all-visible and are read without those checks.
    public func settle() async throws {
        let logger = self.logger
        let tables = [self.tables.environment, self.tables.deployed, self.tables.audit, self.tables.auditHead, self.tables.deployedMark,
                      self.tables.tagSighting, self.tables.reconciliation]
        try await read("vacuuming the copy") { connection in
            try await connection.query("VACUUM (ANALYZE) \(unescaped: tables.joined(separator: ", "))", logger: logger)
        }
    }

    public func importAudit(_ records: [AuditRecord]) async throws {
        guard let last = records.last else { return }
        let tables = self.tables
        let logger = self.logger
        try await transaction("copying audit records") { connection in
            var head: (Int64, String) = (0, AuditChain.genesis)
            for try await row in try await connection.query("SELECT sequence, hash FROM \(unescaped: tables.auditHead) FOR UPDATE", logger: logger) {
                head = try row.decode((Int64, String).self)
            }
            try Self.checkContinues(records, sequence: head.0, hash: head.1)
            try await Self.insert(records, tables: tables, connection: connection)
            try await connection.query("UPDATE \(unescaped: tables.auditHead) SET sequence = \(last.sequence), hash = \(last.hash)", logger: logger)
        }
    }
}
