import CairnState
import PostgresNIO

/// postgres-nio's errors as `StateError`s that say what the server said (its `PSQLError` prints only a generic text).
enum PostgresFailure {
    /// The SQLSTATE of a server error, when `error` is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    static func describe(_ error: any Error, doing: String) -> any Error {
        if error is StateError { return error }
        guard let psql = error as? PSQLError else { return StateError.storage("\(doing): \(error)") }
        if let server = psql.serverInfo {
            var text = server[.message] ?? "server error"
            if let detail = server[.detail] { text += " (\(detail))" }
            if let hint = server[.hint] { text += "; \(hint)" }
            if let state = server[.sqlState] { text += " [SQLSTATE \(state)]" }
            return StateError.storage("\(doing): \(text)")
        }
        let cause = psql.underlying.map { "\($0)" }
        switch psql.code {
        case .serverClosedConnection, .uncleanShutdown:
            return StateError.storage("\(doing): the server closed the connection\(cause.map { " (\($0))" } ?? ""); nothing of this operation was committed")
        case .authMechanismRequiresPassword:
            return StateError.storage("\(doing): the server asks for a password; give it in the URL, PGPASSWORD or ~/.pgpass")
        case .sslUnsupported:
            return StateError.storage("\(doing): the server does not offer TLS, which sslmode requires")
        default:
            return StateError.storage("\(doing): \(cause ?? psql.code.description)")
        }
    }
}
