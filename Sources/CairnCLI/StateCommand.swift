import ArgumentParser
import CairnModel
import CairnPostgres
import CairnReconciler
import CairnState
import Foundation

/// `cairn state`: move the deployed state and audit trail to another store, or back it up.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "state", abstract: "Move the state store to another back end, or back it up.",
        discussion: Help.text(examples: ["cairn state migrate --from sqlite:.cairn/state.sqlite --to postgres://cairn@db.internal/cairn",
                                         "cairn state backup --to /backups/state-2026-12-01.sqlite"], exits: .done),
        subcommands: [Migrate.self, Backup.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "migrate",
            abstract: "Copy deployed rows, serials and the audit chain (record by record) into an empty store, and verify the copy.",
            discussion: Help.text("""
                The source's audit chain must verify, and the target must be empty. Leases are not copied. Stop applies \
                and promotions while it runs: the copy is checked against the source's chain at the start.
                """, examples: ["cairn state migrate --from sqlite:.cairn/state.sqlite --to postgres://cairn@db.internal:5432/cairn?sslmode=verify-full"],
                exits: .done))

        @Option(name: .long, help: "The store to copy: sqlite:PATH (or a path) or postgres://...") var from: String
        @Option(name: .long, help: "The empty store to copy into: postgres://... or sqlite:PATH.") var to: String

        func run() async throws {
            let counts = try await orExit {
                let source = try await Self.open(from, origin: "--from", mayCreate: false)
                let target = try await Self.open(to, origin: "--to", mayCreate: true)
                guard source.identity != target.identity else {
                    throw CairnError.stateLocation(origin: "--to", problem: "names the same store as --from", fix: "name a new store")
                }
                return try await StateMigration.copy(from: source, to: target) { print($0) }
            }
            print("copied \(counts.environments) environment\(counts.environments == 1 ? "" : "s"), \(counts.rows) deployed row\(counts.rows == 1 ? "" : "s") "
                  + "and \(counts.records) audit record\(counts.records == 1 ? "" : "s"); the copy's chain verifies (head \(counts.headHash.prefix(16))); "
                  + "\(counts.sightings) tag sighting\(counts.sightings == 1 ? "" : "s") kept")
        }

        static func open(_ text: String, origin: String, mayCreate: Bool) async throws -> any StateTransfer {
            let address = try StateLocation.operatorAddress(text, origin: origin)
            if case .sqlite(let path) = address, !mayCreate, !FileManager.default.fileExists(atPath: path) {
                throw CairnError.stateLocation(origin: origin, problem: "\(path) does not exist", fix: nil)
            }
            guard let store = try await StoreOpening.open(address) as? any StateTransfer else {
                throw CairnError.stateLocation(origin: origin, problem: "this store cannot be copied", fix: nil)
            }
            return store
        }
    }

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "backup",
            abstract: "Write a consistent copy of an SQLite store to a new file (VACUUM INTO), while others use it.",
            discussion: Help.text("For a PostgreSQL store, use pg_dump (docs/state.md has the recipe).",
                                  examples: ["cairn state backup --to /backups/state-2026-12-01.sqlite", "cairn state backup --state sqlite:/srv/cairn/state.sqlite --to copy.sqlite"],
                                  exits: .done))

        @Option(name: .long, help: "The new file to write.") var to: String
        @OptionGroup var options: ReconcileOptions

        func run() async throws {
            try await orExit {
                let store = try await options.open().store
                guard let sqlite = store as? SQLiteStateStore else {
                    throw CairnError.stateLocation(origin: store.identity, problem: "is a PostgreSQL store; cairn backs up SQLite files only",
                                                   fix: "use pg_dump --schema=SCHEMA (docs/state.md)")
                }
                try sqlite.backup(to: to)
                guard try await SQLiteStateStore(path: to).verifyAudit().firstBad == nil else {
                    throw StateError.storage("the backup \(to) does not verify")
                }
            }
            print("backed up to \(to); its audit chain verifies")
        }
    }
}
