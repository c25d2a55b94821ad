import CairnModel
import CairnPostgres
import CairnReconciler
import CairnState

/// Opens the store a `StateAddress` names: an SQLite file, or a PostgreSQL database (migrated on first use).
enum StoreOpening {
    static func open(_ address: StateAddress) async throws -> any StateStore {
        switch address {
        case .sqlite(let path):
            return try SQLiteStateStore(path: path)
        case .postgres(let url, let origin):
            if origin == StateLocation.configOrigin, PostgresLocation.hasPassword(url) {
                throw CairnError.stateLocation(origin: origin, problem: "the URL carries a password, and cairn.yaml is committed for everyone to read",
                                               fix: "remove it from the URL and give it in PGPASSWORD or ~/.pgpass (or the URL in CAIRN_STATE_URL)")
            }
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
