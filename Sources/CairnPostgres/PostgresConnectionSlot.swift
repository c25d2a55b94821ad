import Foundation
import Logging
import PostgresNIO
import Synchronization

/// One connection to the server, lent to one operation at a time: a transaction's statements must not interleave
/// with another operation's. A connection the server closed (restart, network) is replaced before the next operation;
/// the operation it broke failed and its transaction was rolled back by the server.
final class PostgresConnectionSlot: Sendable {
    private struct State {
        var connection: PostgresConnection?
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    private let location: PostgresLocation
    private let counter = Atomic<Int>(0)

    init(location: PostgresLocation) {
        self.location = location
    }

    /// Silent, unless CAIRN_POSTGRES_LOG names a level (trace, debug, ...): then postgres-nio's events go to stderr.
    static let logger: Logger = {
        guard let level = ProcessInfo.processInfo.environment["CAIRN_POSTGRES_LOG"].flatMap(Logger.Level.init(rawValue:)) else {
            return Logger(label: "cairn.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        }
        var logger = Logger(label: "cairn.postgres", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = level
        return logger
    }()

    /// Runs `body` with the connection, opening one when there is none (or the last one was closed).
    ///
    /// postgres-nio 1.33 never answers a statement written to a connection that has just closed (the write is
    /// dropped with its promise): a server restart between two statements of a transaction would hang the second, or
    /// the ROLLBACK after the first failed. So `body` races the connection's close: when the connection closes first,
    /// the operation fails at once ("the server closed the connection") and the statement left waiting is abandoned.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        await take()
        defer { giveBack() }
        let existing = state.withLock { $0.connection }
        let connection: PostgresConnection
        if let existing, !existing.isClosed {
            connection = existing
        } else {
            connection = try await PostgresConnector.connect(location, id: counter.wrappingAdd(1, ordering: .relaxed).newValue)
            state.withLock { $0.connection = connection }
        }
        return try await Self.racingClose(of: connection, body)
    }

    struct ConnectionClosed: Error, CustomStringConvertible {
        var description: String { "the server closed the connection" }
    }

    /// The first of `body`'s result and the connection's close.
    private static func racingClose<T: Sendable>(of connection: PostgresConnection,
                                                 _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let once = Once(continuation)
            Task {
                do { once.finish(.success(try await body(connection))) } catch { once.finish(.failure(error)) }
            }
            connection.closeFuture.whenComplete { _ in once.finish(.failure(ConnectionClosed())) }
        }
    }

    /// A continuation resumed by the first of several finishers.
    private final class Once<T: Sendable>: Sendable {
        private let waiting: Mutex<CheckedContinuation<T, any Error>?>

        init(_ continuation: CheckedContinuation<T, any Error>) { waiting = Mutex(continuation) }

        func finish(_ result: Result<T, any Error>) {
            waiting.withLock { continuation in
                continuation?.resume(with: result)
                continuation = nil
            }
        }
    }

    /// A store dropped without `close()` closes its connection; the connection lives until the close completes
    /// (postgres-nio requires a connection to be closed before it goes).
    deinit {
        if let connection = state.withLock({ $0.connection }), !connection.isClosed {
            connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
        }
    }

    func close() async {
        let connection = state.withLock { state -> PostgresConnection? in
            defer { state.connection = nil }
            return state.connection
        }
        try? await connection?.close()
    }

    private func take() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.busy {
                    state.waiters.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if ready { continuation.resume() }
        }
    }

    private func giveBack() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}

/// Opens connections as libpq would for a `PostgresLocation`.
enum PostgresConnector {
    static func connect(_ location: PostgresLocation, id: Int) async throws -> PostgresConnection {
        var configuration: PostgresConnection.Configuration
        switch location.endpoint {
        case .socket(let folder, let port):
            configuration = .init(unixSocketPath: folder + "/.s.PGSQL.\(port)", username: location.user, password: location.password,
                                  database: location.database)
        case .tcp(let host, let port):
            configuration = .init(host: host, port: port, username: location.user, password: location.password, database: location.database,
                                  tls: try tls(location))
        }
        configuration.options.connectTimeout = .seconds(Int64(location.connectTimeout))
        configuration.options.additionalStartupParameters = [("application_name", location.applicationName)]
        do {
            return try await PostgresConnection.connect(configuration: configuration, id: id, logger: PostgresConnectionSlot.logger)
        } catch {
            throw PostgresFailure.describe(error, doing: "cannot connect to \(location.identity)")
        }
    }

    /// libpq's sslmode as postgres-nio's TLS setting. `allow` (plain first, TLS when refused) is taken as `prefer`.
    static func tls(_ location: PostgresLocation) throws -> PostgresConnection.Configuration.TLS {
        guard location.tls != .disable else { return .disable }
        var tls = TLSConfiguration.makeClientConfiguration()
        switch location.tls {
        case .disable, .allow, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let root = location.rootCertificate { tls.trustRoots = .file(root) }
        do {
            let context = try NIOSSLContext(configuration: tls)
            return location.tls == .allow || location.tls == .prefer ? .prefer(context) : .require(context)
        } catch {
            throw PostgresFailure.describe(error, doing: "cannot set up TLS for \(location.identity)")
        }
    }
}
