import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Up to `size` connections to the server, each lent to one operation at a time (a transaction's statements must not
/// interleave with another operation's), opened only when that many operations run at once: a command that does one
/// thing after another uses one, while `cairn serve` answers reads on others while its agent commits an apply. A
/// connection the server closed (restart, network) is replaced before the next operation; the operation it broke
/// failed and its transaction was rolled back by the server.
final class PostgresConnectionSlot: Sendable {
    private struct State {
        /// Open connections no operation holds.
        var idle: [PostgresConnection] = []
        /// Operations holding a connection, or opening one.
        var lent = 0
        /// Operations waiting for one: each is handed a connection, or nil to open one itself.
        var waiters: [CheckedContinuation<PostgresConnection?, Never>] = []
        /// Every connection opened and not yet dropped (closed at `close()`).
        var open: [PostgresConnection] = []
    }

    private let state = Mutex(State())
    private let location: PostgresLocation
    private let size: Int
    private let counter = Atomic<Int>(0)

    init(location: PostgresLocation, size: Int = 4) {
        self.location = location
        self.size = max(1, size)
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

    /// Runs `body` with a connection of its own, opening one when none is idle (and fewer than `size` are open).
    ///
    /// postgres-nio 1.33 never answers a statement written to a connection that has just closed (the write is
    /// dropped with its promise): a server restart between two statements of a transaction would hang the second, or
    /// the ROLLBACK after the first failed. So `body` races the connection's close: when the connection closes first,
    /// the operation fails at once ("the server closed the connection") and the statement left waiting is abandoned.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var connection = await take()
        if connection == nil || connection!.isClosed {
            do {
                let opened = try await PostgresConnector.connect(location, id: counter.wrappingAdd(1, ordering: .relaxed).newValue)
                state.withLock { $0.open.append(opened) }
                connection = opened
            } catch {
                giveBack(nil)
                throw error
            }
        }
        let lent = connection!
        defer { giveBack(lent) }
        return try await Self.racingClose(of: lent, body)
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

    /// A store dropped without `close()` closes its connections; each lives until its close completes (postgres-nio
    /// requires a connection to be closed before it goes).
    deinit {
        for connection in state.withLock({ $0.open }) where !connection.isClosed {
            connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
        }
    }

    func close() async {
        let connections = state.withLock { state -> [PostgresConnection] in
            defer { (state.open, state.idle) = ([], []) }
            return state.open
        }
        for connection in connections { try? await connection.close() }
    }

    /// An idle connection, or nil: the caller may open one (fewer than `size` are lent). Waits when all are lent.
    private func take() async -> PostgresConnection? {
        await withCheckedContinuation { (continuation: CheckedContinuation<PostgresConnection?, Never>) in
            let ready = state.withLock { state -> (Bool, PostgresConnection?) in
                if let connection = state.idle.popLast() {
                    state.lent += 1
                    return (true, connection)
                }
                guard state.lent < size else {
                    state.waiters.append(continuation)
                    return (false, nil)
                }
                state.lent += 1
                return (true, nil)
            }
            if ready.0 { continuation.resume(returning: ready.1) }
        }
    }

    /// Hands `connection` (nil: none could be opened) to the next waiter, else keeps it idle; a closed one is dropped.
    private func giveBack(_ connection: PostgresConnection?) {
        let handOff = state.withLock { state -> (CheckedContinuation<PostgresConnection?, Never>, PostgresConnection?)? in
            let usable = connection.flatMap { $0.isClosed ? nil : $0 }
            if let connection, usable == nil { state.open.removeAll { $0 === connection } }
            if !state.waiters.isEmpty {
                // The waiter takes this operation's place: with nil, it opens a connection itself.
                return (state.waiters.removeFirst(), usable)
            }
            state.lent -= 1
            if let usable { state.idle.append(usable) }
            return nil
        }
        if let (waiter, usable) = handOff { waiter.resume(returning: usable) }
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
