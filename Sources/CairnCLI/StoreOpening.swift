import CairnModel
import CairnPostgres
import CairnReconciler
import CairnState

/// Opens the store a `StateAddress` names: an SQLite file, or a PostgreSQL database (migrated on first use). A URL
/// committed in `cairn.yaml` carries no password: `validate` refuses such a file, so no command gets this far with it.
enum StoreOpening {
    static func open(_ address: StateAddress) async throws -> any StateStore {
        switch address {
        case .sqlite(let path):
            return try SQLiteStateStore(path: path)
        case .postgres(let url, let origin):
            let location: PostgresLocation
            do {
                location = try PostgresLocation(url: url)
            } catch let invalid as PostgresLocation.Invalid {
                throw CairnError.stateLocation(origin: origin, problem: invalid.message, fix: "write it as postgres://USER@HOST:PORT/DATABASE?sslmode=...&schema=...")
            }
            return try await PostgresStateStore.open(location, software: "cairn \(Cairn.configuration.version)")
        }
    }
}
