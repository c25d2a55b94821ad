import CairnRegistry
import CairnState
import Foundation
import Hummingbird
import Logging

/// `cairn serve`: the read API on one address until SIGTERM or SIGINT, which stop it cleanly (requests in flight
/// are answered, then the process exits 0).
public enum CairnServe {
    /// Serves `api` on `host:port` (port 0: any free one) and runs `agent` beside it; `listening` hears the address
    /// once the socket is bound.
    public static func run(_ api: ReadAPI, agent: Agent, host: String, port: Int, logger: Logger,
                           listening: @escaping @Sendable (String) -> Void) async throws {
        ServeMetrics.bootstrap()
        let app = Application(router: api.router(), configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "cairn"),
                              services: [agent],
                              onServerRunning: { channel in
                                  let address = channel.localAddress
                                  listening("\(address?.ipAddress ?? host):\(address?.port ?? port)")
                              }, logger: logger)
        try await app.runService()
    }
}
