import ArgumentParser
import CairnModel
import CairnServer
import Foundation
import Logging

/// `cairn serve`: the read API over HTTP, so that applications fetch what is deployed without a checkout.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve what is deployed over HTTP (the /v1 read API) until SIGTERM or SIGINT.",
        discussion: Help.text("""
            GET /v1/environments (serial, artifacts, drift, and whether it matches git at HEAD), /v1/environments/ENV/artifacts, \
            and /v1/environments/ENV/artifacts/KIND/NAME (content, version, digest, tag, commit; ETag "sha256:DIGEST", 304 on \
            If-None-Match). GET /healthz is open; with --token-file every /v1 request needs 'Authorization: Bearer TOKEN'. \
            It prints 'listening on HOST:PORT' once the socket is bound (port 0 picks a free one). Every --interval, the \
            agent applies each environment whose cairn.yaml policy says 'sync: auto' when its plan at HEAD has changes \
            (the checks and lease of cairn apply; failures retried with backoff); /v1/environments shows its last \
            reconciliations. It reconciles the local checkout: nothing fetches from a remote yet.
            """,
            examples: ["cairn serve --listen 127.0.0.1:8080", "curl -s localhost:8080/v1/environments/production/artifacts/prompt/support-triage"],
            exits: .done))

    @Option(name: .long, help: "HOST:PORT to listen on.")
    var listen: String = "127.0.0.1:8080"

    @Option(name: .long, help: "A file holding the bearer token /v1 requests must carry (its first line).")
    var tokenFile: String?

    @Option(name: .long, help: "How often the agent reconciles the environments whose policy says sync: auto: seconds, or with s/m/h.",
            transform: { try ApplyCommand.seconds($0, option: "--interval") })
    var interval: Int = 60

    @Option(name: .long, help: "Who the agent's applies are recorded as.")
    var actor: String = "cairn-agent"

    @OptionGroup var options: ReconcileOptions

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            printError("error: --listen '\(listen)' is not HOST:PORT (e.g. 127.0.0.1:8080)")
            throw ExitStatus.couldNotRun
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let token = try await orExit { () -> String? in
            guard let tokenFile else { return nil }
            let text = try String(contentsOfFile: tokenFile, encoding: .utf8)
            guard let line = text.split(separator: "\n").first.map({ $0.trimmingCharacters(in: .whitespaces) }), !line.isEmpty else {
                throw CairnError.stateLocation(origin: "--token-file", problem: "\(tokenFile) holds no token", fix: "write the token on its first line")
            }
            return line
        }
        let context = try await orExit { try await options.open(withoutConfig: true) }
        var logger = Logger(label: "cairn.serve")
        logger.logLevel = .warning
        let history = ReconcileHistory()
        let api = ReadAPI(reader: context.reconciler.reader, store: context.store, token: token, history: history)
        let agent = Agent(reader: context.reconciler.reader, store: context.store, interval: .seconds(interval), actor: actor, history: history,
                          logger: Logger(label: "cairn.agent"))
        try await orExit {
            try await CairnServe.run(api, agent: agent, host: host, port: port, logger: logger) { address in
                // Unbuffered: whoever started the server waits for this line.
                FileHandle.standardOutput.write(Data("listening on \(address)\n".utf8))
            }
        }
    }
}
