import ArgumentParser
import CairnModel
import CairnReconciler
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
            If-None-Match). With --token-file every /v1 request needs 'Authorization: Bearer TOKEN'. \
            It prints 'listening on HOST:PORT' once the socket is bound (port 0 picks a free one). Every --interval, the \
            agent applies each environment whose cairn.yaml policy says 'sync: auto' when its plan at HEAD has changes \
            (the checks and lease of cairn apply; failures retried with backoff); /v1/environments shows its last \
            reconciliations. With --remote URL it reads a mirror of that repository instead of --repo, fetched every \
            --interval (with jitter) and at once when POST /v1/webhooks/github (X-Hub-Signature-256), /gitlab \
            (X-Gitlab-Token) or /generic (X-Cairn-Signature-256: sha256=HMAC) arrives with --webhook-secret-file's secret. \
            GET /livez, /readyz (the store answers; with --remote, a fetch worked within three intervals) and /metrics \
            (Prometheus) are open.
            """,
            examples: ["cairn serve --listen 127.0.0.1:8080", "curl -s localhost:8080/v1/environments/production/artifacts/prompt/support-triage"],
            exits: .done))

    @Option(name: .long, help: "HOST:PORT to listen on.")
    var listen: String = "127.0.0.1:8080"

    @Option(name: .long, help: "A git URL or path to pull from: cairn keeps a mirror of its branches and tags and fetches it every --interval and at each webhook (instead of reading --repo).")
    var remote: String?

    @Option(name: .customLong("mirror"), help: "Where the mirror of --remote lives (default: $XDG_CACHE_HOME/cairn/mirrors/HASH, else ~/.cache/...).")
    var mirrorDirectory: String?

    @Option(name: .long, help: "The branch of --remote to reconcile (default: the remote's HEAD).")
    var branch: String?

    @Option(name: .long, help: "A file holding the bearer token /v1 requests must carry (its first line).")
    var tokenFile: String?

    @Option(name: .long, help: "A file holding the webhook secret (its first line); without it the webhook endpoints answer 404.")
    var webhookSecretFile: String?

    @Option(name: .long, help: "How often the agent fetches (with --remote) and reconciles: seconds, or with s/m/h.",
            transform: { try ApplyCommand.seconds($0, option: "--interval") })
    var interval: Int = 60

    @Option(name: .long, help: "Keep DIR/ENV current for every environment, as cairn export writes it (swapped in atomically).")
    var exportDir: String?

    @Option(name: .long, help: "How long the agent's apply lease holds: seconds, or with s/m/h. The agent renews it every third of that while applying; another agent takes over once it stops renewing (or at once when its process on this host is gone).",
            transform: { try ApplyCommand.seconds($0, option: "--lease") })
    var lease: Int = Reconciler.defaultLeaseSeconds

    @Option(name: .long, help: "Who the agent's applies are recorded as (and the lease's holder).")
    var actor: String = "cairn-agent"

    @Option(name: .long, help: "Log lines as text or json (one object a line), on standard error.")
    var logFormat: LogFormat = .text

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @OptionGroup var options: ReconcileOptions

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            printError("error: --listen '\(listen)' is not HOST:PORT (e.g. 127.0.0.1:8080)")
            throw ExitStatus.couldNotRun
        }
        if remote != nil, options.registry.repo != "." {
            printError("error: --remote and --repo name two sources; serve reads one (the mirror of --remote, or the repository --repo finds)")
            throw ExitStatus.couldNotRun
        }
        let host = String(listen[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let token = try await orExit { try Self.firstLine(of: tokenFile, option: "--token-file") }
        let secret = try await orExit { try Self.firstLine(of: webhookSecretFile, option: "--webhook-secret-file") }
        if logFormat == .json {
            LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: .info) }
        }
        // Before the first fetch, so that it is counted.
        ServeMetrics.bootstrap()
        let logger = Logger(label: "cairn.agent")
        let status = ServeStatus()
        let mirror = try await orExit { () -> Mirror? in
            guard let remote else { return nil }
            let directory = mirrorDirectory ?? Mirror.defaultDirectory(for: remote)
            try? FileManager.default.createDirectory(atPath: (directory as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let mirror = try Mirror(url: remote, directory: directory, branch: branch)
            if let failure = await mirror.fetch(recordingIn: status, logger: logger), (try? mirror.repository.resolveCommit("HEAD")) == nil {
                throw CairnError.mirror(directory: directory, problem: "the first fetch from \(remote) failed (\(failure))",
                                        fix: "check the URL and that this machine can reach it")
            }
            return mirror
        }
        let context = try await orExit { try await options.open(withoutConfig: true, repository: mirror?.repository) }
        var serverLogger = Logger(label: "cairn.serve")
        serverLogger.logLevel = .warning
        let wakeup = Wakeup(), reads = DeployedReads(store: context.store)
        let api = ReadAPI(reader: context.reconciler.reader, store: context.store, token: token, status: status,
                          fetchInterval: mirror == nil ? nil : .seconds(interval), webhookSecret: secret.map { Array($0.utf8) }, wakeup: wakeup, reads: reads)
        let agent = Agent(reader: context.reconciler.reader, store: context.store, interval: .seconds(interval), actor: actor,
                          logger: logger, mirror: mirror, wakeup: wakeup, status: status, exportDirectory: exportDir, leaseSeconds: lease, reads: reads)
        try await orExit {
            try await CairnServe.run(api, agent: agent, host: host, port: port, logger: serverLogger) { address in
                // Unbuffered: whoever started the server waits for this line.
                FileHandle.standardOutput.write(Data("listening on \(address)\n".utf8))
            }
        }
    }

    /// The first line of a secret's file, trimmed; an error when the file holds none.
    static func firstLine(of path: String?, option: String) throws -> String? {
        guard let path else { return nil }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let line = text.split(separator: "\n").first.map({ $0.trimmingCharacters(in: .whitespaces) }), !line.isEmpty else {
            throw CairnError.stateLocation(origin: option, problem: "\(path) holds nothing on its first line", fix: "write the secret on its first line")
        }
        return line
    }
}
