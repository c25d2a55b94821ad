/// Copies one store into another (`cairn state migrate`): deployed rows and serials of every environment, then the
/// audit chain record by record as it is (numbers and hashes kept), then when each tag was first seen (signers'
/// validity windows are judged at that time), then verifies the copy's chain. Leases are not copied. The source's chain must verify before anything is copied; the target must be empty.
public enum StateMigration {
    /// What was copied: environments, deployed rows, audit records, and the hash the copied chain ends with.
    public struct Counts: Sendable, Equatable {
        public let environments: Int
        public let rows: Int
        public let records: Int
        public let headHash: String
        public var sightings = 0
    }

    /// `progress` hears a line after each environment and every page of audit records.
    public static func copy(from source: any StateTransfer, to target: any StateTransfer, pageSize: Int = 10_000,
                            progress: (String) -> Void = { _ in }) async throws -> Counts {
        guard try await target.isEmpty() else {
            throw StateError.storage("\(target.identity) is not empty; migrate only into a new store (a migration stopped half-way leaves a partial copy: delete it, or drop its schema, and start again)")
        }
        let checked = try await source.verifyAudit()
        if let bad = checked.firstBad {
            throw StateError.storage("the audit chain of \(source.identity) does not verify at record \(bad.sequence) (\(bad.reason)); nothing was copied")
        }
        var rows = 0
        let environments = try await source.environments()
        for environment in environments {
            let deployed = try await source.deployed(environment: environment.name).map(\.artifact)
            try await target.importEnvironment(environment.name, serial: environment.serial, rows: deployed)
            rows += deployed.count
            progress("environment \(environment.name): serial \(environment.serial), \(deployed.count) deployed rows")
        }
        var after: Int64 = 0
        var records = 0
        while true {
            let page = try await source.auditRecords(after: after, limit: pageSize)
            guard let last = page.last else { break }
            try await target.importAudit(page)
            records += page.count
            after = last.sequence
            progress("audit records: \(records) of \(checked.records)")
        }
        let sightings = try await source.sightings()
        try await target.importSightings(sightings)
        progress("tag sightings: \(sightings.count)")
        try await target.settle()
        let copied = try await target.verifyAudit()
        guard copied.firstBad == nil, copied.records == checked.records, copied.headHash == checked.headHash else {
            throw StateError.storage("the copy's chain does not match the source's (\(copied.records) records, head \(copied.headHash.prefix(12)); the source had \(checked.records), head \(checked.headHash.prefix(12))): was the source written to during the migration? Delete the copy and migrate again with writers stopped")
        }
        var counts = Counts(environments: environments.count, rows: rows, records: records, headHash: copied.headHash)
        counts.sightings = sightings.count
        return counts
    }
}
