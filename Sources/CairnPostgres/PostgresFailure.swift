import CairnState
import Foundation
import PostgresNIO

/// postgres-nio's errors as `StateError`s that say what the server said (its `PSQLError` prints only a generic text).
enum PostgresFailure {
    /// The SQLSTATE of a server error, when `error` is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A connection failure as a short phrase ("connection refused at 127.0.0.1:5432"), other errors as they print.
    static func plain(_ error: any Error) -> String {
        guard let connection = error as? NIOConnectionError else { return "\(error)" }
        let failures = connection.connectionErrors.map { failure -> String in
            let reason = (failure.error as? IOError).map { String(cString: strerror($0.errnoCode)).lowercased() } ?? "\(failure.error)"
            return "\(reason) at \(failure.target.ipAddress ?? "\(failure.target)"):\(failure.target.port.map(String.init) ?? "?")"
        }
        return failures.isEmpty ? "cannot reach \(connection.host):\(connection.port)" : failures.joined(separator: "; ")
    }

    static func describe(_ error: any Error, doing: String) -> any Error {
        if error is StateError { return error }
        if error is PostgresConnectionSlot.ConnectionClosed {
            return StateError.storage("\(doing): the server closed the connection; nothing of this operation was committed")
        }
        guard let psql = error as? PSQLError else { return StateError.storage("\(doing): \(plain(error))") }
        if let server = psql.serverInfo {
            var text = server[.message] ?? "server error"
            if let detail = server[.detail] { text += " (\(detail))" }
            if let hint = server[.hint] { text += "; \(hint)" }
            if let state = server[.sqlState] { text += " [SQLSTATE \(state)]" }
            return StateError.storage("\(doing): \(text)")
        }
        let cause = psql.underlying.map(plain)
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
