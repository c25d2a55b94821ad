import CairnModel

/// Where deployed state and the audit trail live: an SQLite file (`SQLiteStateStore`) or a PostgreSQL database
/// (`PostgresStateStore`, CairnPostgres), one contract proven by one conformance suite. Every operation is `async`: a
/// network store and the HTTP server need it; SQLite answers at once.
///
/// Contract: `commit(_:)` writes deployed rows, the environment's serial and the audit records in one
/// transaction, all or nothing, and refuses when the serial moved since the plan was made, or when the lease it was
/// made under is no longer the environment's (it expired and was taken over: its fence moved). Audit appends from
/// any number of writers are serialized: the chain never forks.
public protocol StateStore: Sendable {
    /// Where the store is (`sqlite:/absolute/path`): a plan remembered against one store is not reused with another.
    var identity: String { get }
    /// The environment's serial: 0 before the first apply, one more after each apply.
    func serial(environment: String) async throws -> Int
    /// The deployed rows of an environment, each with whether its content still matches the recorded digest.
    /// Without `content`, `artifact.content` is empty (drift is checked all the same): planning compares digests
    /// and reads the content of the few rows it updates with `deployed(environment:ids:)`.
    func deployed(environment: String, content: Bool) async throws -> [StoredArtifact]
    /// The deployed rows of `ids` in an environment, with content (rows that do not exist are absent).
    func deployed(environment: String, ids: Set<ArtifactID>) async throws -> [StoredArtifact]
    /// A value that changes whenever any deployed row of the environment changes, whoever changes it (cairn, or
    /// an edit of the store behind its back); nil before the first change. Equal marks and serials mean the rows are
    /// as they were, so a plan can be brought up to date from the artifacts whose declared state changed.
    func deployedMark(environment: String) async throws -> [UInt8]?
    /// Applies a change atomically; returns the new serial and the deployed mark before and after it (read in its
    /// transaction, so no other change is in either).
    func write(_ change: StateChange) async throws -> Committed
    /// Appends audit records on their own (refusals), chained like all others.
    func appendAudit(_ drafts: [AuditDraft]) async throws
    /// Audit records in sequence order, filtered.
    func auditRecords(_ query: AuditQuery) async throws -> [AuditRecord]
    /// The hash of one audit record, nil when there is no such record.
    func auditHash(sequence: Int64) async throws -> String?
    /// Walks the whole chain; names the first record that does not verify.
    func verifyAudit() async throws -> AuditVerification
    /// Takes the environment's apply lease, or throws `StateError.leaseHeld` naming the holder. A lease whose time
    /// ran out (or whose process died on this host) is taken over; each grant moves the environment's fence.
    func acquireLease(environment: String, holder: String, seconds: Int) async throws -> Lease
    /// Extends a held lease to `seconds` from now (the store's clock), so that an apply longer than its lease keeps
    /// it; throws `StateError.leaseLost` when `lease` is no longer the environment's (taken over, given back or
    /// unlocked), which is never undone by renewing. A PostgreSQL lease row locked at that moment (by the holder's
    /// own commit, or by someone taking the lease, who will find it held) is left as it is.
    @discardableResult
    func renewLease(_ lease: Lease, seconds: Int) async throws -> Lease
    /// Gives a lease back; a lease that is no longer held (expired and taken over, or unlocked) is left alone.
    func releaseLease(_ lease: Lease) async throws
    /// Breaks a lease; the id must match the one the holder was given.
    func forceUnlock(environment: String, id: String) async throws
    /// When each of `objects` (tag object ids) was first seen by a cairn using this store: `now` for those never seen
    /// before, recorded so. A signer's validity window is judged at that time, not at the date the tagger wrote,
    /// which the signer chose. Concurrent callers agree: the first recorded time stands.
    func firstSightings(of objects: [String], now: Int64) async throws -> [String: Int64]
    /// Adds a reconciliation to its environment's history, or counts it as one more run of the newest entry when that
    /// entry absorbs it (`Reconciliation.absorbs`); keeps the newest `Reconciliation.kept` entries. Concurrent agents
    /// are serialized per environment.
    func recordReconciliation(_ reconciliation: Reconciliation) async throws
    /// An environment's reconciliation history, newest first, at most `limit` entries.
    func reconciliations(environment: String, limit: Int) async throws -> [Reconciliation]
}

/// What a committed change left: the environment's serial, and its deployed mark (`StateStore.deployedMark`) as the
/// change found it and as it left it, both read in the change's transaction.
public struct Committed: Sendable, Equatable {
    public var serial: Int
    public var previousMark: [UInt8]?
    public var mark: [UInt8]?

    public init(serial: Int, previousMark: [UInt8]?, mark: [UInt8]?) {
        self.serial = serial
        self.previousMark = previousMark
        self.mark = mark
    }
}

extension StateStore {
    /// Applies a change atomically; returns the new serial.
    @discardableResult
    public func commit(_ change: StateChange) async throws -> Int { try await write(change).serial }

    /// The deployed rows of an environment with their content.
    public func deployed(environment: String) async throws -> [StoredArtifact] {
        try await deployed(environment: environment, content: true)
    }
}

/// A deployed row and whether it drifted (its content no longer hashes to the digest cairn recorded).
public struct StoredArtifact: Sendable, Hashable {
    public var artifact: DeployedArtifact
    public var drifted: Bool

    public init(artifact: DeployedArtifact, drifted: Bool) {
        self.artifact = artifact
        self.drifted = drifted
    }
}

/// Everything one apply writes.
public struct StateChange: Sendable {
    public var environment: String
    /// The serial the plan saw; the commit is refused if the store's differs.
    public var expectedSerial: Int
    public var upserts: [DeployedArtifact]
    public var deletions: [ArtifactID]
    public var audit: [AuditDraft]
    /// The lease the change was made under: the commit is refused (`StateError.leaseLost`) unless it is still the
    /// environment's lease, checked inside the commit's transaction. nil only for callers that hold no lease (tests of
    /// the serial alone).
    public var lease: Lease?

    public init(environment: String, expectedSerial: Int, upserts: [DeployedArtifact], deletions: [ArtifactID], audit: [AuditDraft], lease: Lease? = nil) {
        self.environment = environment
        self.expectedSerial = expectedSerial
        self.upserts = upserts
        self.deletions = deletions
        self.audit = audit
        self.lease = lease
    }
}

extension StateChange {
    /// Refuses a change that would deploy a tag-only artifact (the planner never plans one; a store must not hold one).
    public func checkDeployable() throws {
        if let id = upserts.first(where: { $0.id.isTagOnly })?.id {
            throw StateError.storage("\(id) is a tag-only artifact (no cairn kind); it cannot be deployed")
        }
    }
}

extension ArtifactID {
    /// The `kind` column: the kind's name; "" for a tag-only artifact, which no row has (`StateChange.checkDeployable`).
    public var kindColumn: String { kind?.rawValue ?? "" }
}

/// Which audit records to list.
public struct AuditQuery: Sendable {
    public var environment: String?
    /// `KIND/NAME` (any version) or `KIND/NAME@VERSION`.
    public var artifact: String?
    public var since: Int64?
    public var until: Int64?
    /// Only records after this sequence number, and at most `limit` of them (a page, read as a page: the store does
    /// not read the rest).
    public var after: Int64 = 0
    public var limit: Int?

    public init(environment: String? = nil, artifact: String? = nil, since: Int64? = nil, until: Int64? = nil, after: Int64 = 0, limit: Int? = nil) {
        self.environment = environment
        self.artifact = artifact
        self.since = since
        self.until = until
        self.after = after
        self.limit = limit
    }
}

/// The result of walking the audit chain.
public struct AuditVerification: Sendable, Hashable {
    public var records: Int
    /// The first sequence number that does not verify, with why; nil when the chain is intact.
    public var firstBad: (sequence: Int64, reason: String)?
    public var headHash: String
    /// The sequence number of the last record (0 when empty).
    public var lastSequence: Int64 = 0

    public init(records: Int, firstBad: (sequence: Int64, reason: String)?, headHash: String, lastSequence: Int64) {
        self.records = records
        self.firstBad = firstBad
        self.headHash = headHash
        self.lastSequence = lastSequence
    }

    public static func == (lhs: AuditVerification, rhs: AuditVerification) -> Bool {
        lhs.records == rhs.records && lhs.headHash == rhs.headHash && lhs.firstBad?.sequence == rhs.firstBad?.sequence
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(records)
        hasher.combine(headHash)
    }
}

/// The right to apply to one environment until `expiresAt`, held by process `pid` on `host`.
///
/// `fence` counts the grants of the environment's lease (1, 2, ...): a holder whose lease expired and was taken over
/// holds a lower fence than the store's and cannot commit.
public struct Lease: Sendable, Hashable {
    public var environment: String
    public var id: String
    public var holder: String
    public var expiresAt: Int64
    public var host: String
    public var pid: Int32
    public var fence: Int64

    public init(environment: String, id: String, holder: String, expiresAt: Int64, host: String = "", pid: Int32 = 0, fence: Int64 = 0) {
        self.environment = environment
        self.id = id
        self.holder = holder
        self.expiresAt = expiresAt
        self.host = host
        self.pid = pid
        self.fence = fence
    }
}

/// Refusals and failures of a store, with what to do.
public enum StateError: Error, CustomStringConvertible, Equatable {
    case staleSerial(environment: String, expected: Int, actual: Int)
    case leaseHeld(Lease)
    case noSuchLease(environment: String, id: String)
    /// The change's lease is no longer the environment's: it expired and was taken over (fence `current`), or was unlocked.
    case leaseLost(Lease, current: Int64?)
    /// The store was migrated by a newer cairn (schema `found`; this one knows up to `known`).
    case newerSchema(store: String, found: Int, known: Int)
    case storage(String)

    public var description: String {
        switch self {
        case .staleSerial(let environment, let expected, let actual):
            "the state of '\(environment)' changed since the plan was made (serial \(expected), now \(actual)); run 'cairn plan' again"
        case .leaseHeld(let lease):
            "'\(lease.environment)' is being applied by \(lease.holder) (lease \(lease.id)\(lease.host.isEmpty ? "" : ", process \(lease.pid) on \(lease.host)"), expires \(Timestamp.text(lease.expiresAt))); wait, or 'cairn unlock --env \(lease.environment) \(lease.id)' if that apply died"
        case .noSuchLease(let environment, let id):
            "no lease '\(id)' on '\(environment)'"
        case .leaseLost(let lease, let current):
            "the apply lease \(lease.id) (fence \(lease.fence)) on '\(lease.environment)' is no longer held"
                + (current.map { ": it expired and was taken over (fence \($0))" } ?? ": it was unlocked")
                + "; nothing was written. Run 'cairn plan' and apply again"
        case .newerSchema(let store, let found, let known):
            "\(store) was migrated by a newer cairn (schema version \(found); this cairn knows versions up to \(known)); upgrade cairn to use it"
        case .storage(let message):
            "state store: \(message)"
        }
    }
}

/// What `cairn state migrate` needs of a store besides the contract: to list what it holds in order, and to take a
/// copy into an empty store as it is (sealed audit records keep their numbers and hashes).
public protocol StateTransfer: StateStore {
    /// Every environment with a serial, by name.
    func environments() async throws -> [(name: String, serial: Int)]
    /// Up to `limit` audit records numbered after `sequence`, in order.
    func auditRecords(after sequence: Int64, limit: Int) async throws -> [AuditRecord]
    /// Whether the store holds no environment, deployed row or audit record.
    func isEmpty() async throws -> Bool
    /// Writes an environment's rows and serial in one transaction; refused when the environment has a serial already.
    func importEnvironment(_ name: String, serial: Int, rows: [DeployedArtifact]) async throws
    /// Appends sealed records as they are, in one transaction; refused unless they continue the chain (the first
    /// numbered one past the last record, linked to its hash, each to the one before).
    func importAudit(_ records: [AuditRecord]) async throws
    /// When each tag object was first seen (`firstSightings`), all of them.
    func sightings() async throws -> [String: Int64]
    /// Records first sightings as they are (one already recorded stands), in one transaction.
    func importSightings(_ sightings: [String: Int64]) async throws
    /// Brings the store's own bookkeeping up to date after a bulk copy into it, so that the first reads of the copy
    /// are as fast as later ones (PostgreSQL: `VACUUM ANALYZE`; SQLite: `ANALYZE`). Changes no row.
    func settle() async throws
}

extension StateTransfer {
    /// Refuses `records` unless they continue a chain whose last record is (`sequence`, `hash`).
    public static func checkContinues(_ records: [AuditRecord], sequence: Int64, hash: String) throws {
        var (expected, previous) = (sequence + 1, hash)
        for record in records {
            guard record.sequence == expected, record.previousHash == previous else {
                throw StateError.storage("audit record \(record.sequence) does not continue the chain at \(expected - 1); nothing of this batch was written")
            }
            (expected, previous) = (record.sequence + 1, record.hash)
        }
    }
}
