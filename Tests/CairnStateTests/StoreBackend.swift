import CairnPostgres
import CairnState
import Foundation
import GRDB
import Testing

/// The back ends the conformance suite runs on: SQLite always, PostgreSQL when `scripts/with-postgres.sh` (which
/// `make test` and `.ci/run` use) started a server. With `CI=true` a missing server fails the PostgreSQL cases
/// instead of leaving them out.
enum StoreBackend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static var available: [StoreBackend] {
        let environment = ProcessInfo.processInfo.environment
        if environment["CAIRN_TEST_POSTGRES_URL"] != nil || environment["CI"] == "true" || environment["CAIRN_REQUIRE_POSTGRES"] == "1" { return allCases }
        return [.sqlite]
    }

    /// A fresh, empty store of this kind, and a way to edit it behind its back.
    func make() async throws -> StoreUnderTest {
        switch self {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-state-\(UUID().uuidString)/state.sqlite").path
            return StoreUnderTest(backend: self, store: try SQLiteStateStore(path: path, createFolders: true), place: path)
        case .postgres:
            let url = try TestPostgres.freshSchemaURL()
            return StoreUnderTest(backend: self, store: try await PostgresStateStore.open(PostgresLocation(url: url)), place: url)
        }
    }
}

/// A store made for one test.
struct StoreUnderTest: Sendable {
    let backend: StoreBackend
    let store: any StateStore
    /// The SQLite file, or the PostgreSQL URL (with its schema).
    let place: String

    /// Another store on the same data, as a second process would open it.
    func reopen() async throws -> any StateStore {
        switch backend {
        case .sqlite: try SQLiteStateStore(path: place)
        case .postgres: try await PostgresStateStore.open(PostgresLocation(url: place))
        }
    }

    /// Runs SQL on the store's tables outside cairn (drift and tampering).
    func raw(_ sql: String) throws {
        switch backend {
        case .sqlite:
            let queue = try DatabaseQueue(path: place)
            try queue.write { try $0.execute(sql: sql) }
        case .postgres:
            try TestPostgres.psql(place, sql)
        }
    }
}

/// The test server `scripts/with-postgres.sh` started.
enum TestPostgres {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "CAIRN_TEST_POSTGRES_URL is not set: run the tests through scripts/with-postgres.sh (make test does)" }
    }

    static func baseURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["CAIRN_TEST_POSTGRES_URL"] else { throw Missing() }
        return url
    }

    /// The test database with a schema of its own (created by the store on first use).
    static func freshSchemaURL() throws -> String {
        try baseURL() + "?schema=t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
    }

    /// Runs `sql` with psql in the URL's schema; fails when psql does.
    static func psql(_ url: String, _ sql: String) throws {
        let (base, schema) = split(url)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", base, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql]
        var environment = ProcessInfo.processInfo.environment
        if let schema { environment["PGOPTIONS"] = "-c search_path=\(schema)" }
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw PSQLFailed(sql: sql, message: message) }
    }

    struct PSQLFailed: Error, CustomStringConvertible {
        let sql: String
        let message: String
        var description: String { "psql failed on \(sql): \(message)" }
    }

    /// The URL without cairn's `schema` parameter (which psql does not know), and the schema.
    static func split(_ url: String) -> (String, String?) {
        guard let range = url.range(of: "?schema=") else { return (url, nil) }
        return (String(url[..<range.lowerBound]), String(url[range.upperBound...]))
    }
}
