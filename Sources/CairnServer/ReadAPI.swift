import CairnManifest
import CairnModel
import CairnReconciler
import CairnRegistry
import CairnState
import Foundation
import Hummingbird

/// The read API (`/v1`): what each environment runs, as JSON, for the applications that fetch their prompt at run
/// time. Every answer is read from the state store when it is asked for (no copy to go stale); one artifact carries
/// its content digest as its `ETag`, so a client that has it revalidates with `If-None-Match` and gets 304.
public struct ReadAPI: Sendable {
    public let reader: RegistryReader
    public let store: any StateStore
    /// When set, every `/v1` request must carry `Authorization: Bearer TOKEN`.
    public let token: String?
    /// The agent's fetches, for `/readyz`.
    public let status: ServeStatus
    /// How often the agent fetches a remote; nil when it reads a local repository (nothing to fetch).
    public let fetchInterval: Duration?
    let webhooks: Webhooks
    /// The deployed rows the answers come from (shared with the agent, which invalidates what it applies).
    public let reads: DeployedReads

    /// What is deployed can change at any apply: a client revalidates every time (`max-age=0`, one row read and a 304),
    /// may go on using its copy for 30 s while it does, and for a day when the server cannot be reached.
    static let liveCacheControl = "max-age=0, stale-while-revalidate=30, stale-if-error=86400"

    public init(reader: RegistryReader, store: any StateStore, token: String?,
                status: ServeStatus = ServeStatus(), fetchInterval: Duration? = nil, webhookSecret: [UInt8]? = nil, wakeup: Wakeup = Wakeup(),
                reads: DeployedReads? = nil) {
        self.reader = reader
        self.store = store
        self.token = token
        self.status = status
        self.fetchInterval = fetchInterval
        webhooks = Webhooks(secret: webhookSecret, wakeup: wakeup)
        self.reads = reads ?? DeployedReads(store: store)
    }

    /// The routes: `/livez`, `/readyz`, `/metrics` (open, for the platform's probes and scraper), the webhooks (signed
    /// by the sender instead of the token) and the `/v1` read API. Every error is JSON; a known path asked with another
    /// method is 405 with `Allow`.
    public func router() -> Router<BasicRequestContext> {
        let routes = Routes()
        routes.router.add(middleware: ErrorJSON(table: routes.table))
        routes.router.add(middleware: RequestMetrics())
        routes.router.add(middleware: BearerToken(token: token))
        for path in ["/livez", "/healthz"] {
            routes.get(path) { _, _ in Self.json(.ok, .object(["status": .string("ok")])) }
        }
        routes.get("/readyz") { _, _ in await self.readiness() }
        routes.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: ServeMetrics.text())))
        }
        webhooks.add(to: routes)
        routes.get("/v1/environments") { _, _ in try await self.environments() }
        routes.get("/v1/environments/:env/artifacts") { _, context in
            try await self.artifacts(environment: try Self.parameter(context, "env"))
        }
        routes.get("/v1/environments/:env/artifacts/:kind/:name") { request, context in
            try await self.artifact(environment: try Self.parameter(context, "env"), kind: try Self.parameter(context, "kind"),
                                    name: try Self.parameter(context, "name"), ifNoneMatch: request.headers[.ifNoneMatch])
        }
        addMoreRoutes(to: routes)
        return routes.router
    }

    /// A path parameter, percent-decoded (`1.0.0%2Bbuild` is `1.0.0+build`); the router hands them over as sent.
    static func parameter(_ context: BasicRequestContext, _ name: String) throws -> String {
        let raw = try context.parameters.require(name)
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return raw }
        guard let decoded = raw.removingPercentEncoding else { throw HTTPError(.badRequest, message: "the \(name) in the path is not valid percent-encoding") }
        return decoded
    }

    // MARK: - Handlers

    /// `GET /v1/environments`: each environment cairn.yaml defines (and any other the store holds), with its serial,
    /// how many artifacts it runs, and whether it matches what git declares at HEAD (a plan, made for the answer).
    func environments() async throws -> Response {
        let head = try reader.location.commit("HEAD")
        let config = try reader.config(at: head).config
        var names = config?.environments.map(\.name) ?? []
        if let transfer = store as? any StateTransfer {
            for (name, _) in try await transfer.environments() where !names.contains(name) { names.append(name) }
        }
        var items: [JSONValue] = []
        for name in names {
            let deployed = try await reads.environment(name)
            let rows = deployed.sorted
            var item: [String: JSONValue] = [
                "name": .string(name), "serial": .int(deployed.serial), "artifacts": .int(rows.count),
                "drifted": .int(rows.filter(\.drifted).count), "revision": .string(head.hex),
            ]
            item["reconciliations"] = .array(try await store.reconciliations(environment: name, limit: Reconciliation.kept).map(\.json))
            if let settings = config?.environment(named: name) { item["syncPolicy"] = .string(settings.policy.autoSync ? "auto" : "manual") }
            if let config, config.environment(named: name) != nil {
                do {
                    let plan = try await Reconciler(reader: reader, store: store, config: config).plan(environment: name, commit: head).plan
                    item["sync"] = .string(plan.actions.isEmpty && plan.problems.isEmpty ? "in-sync" : "out-of-sync")
                    item["changes"] = .int(plan.actions.count)
                    item["problems"] = .array(plan.problems.map { .string($0.message) })
                } catch {
                    item["sync"] = .string("unknown")
                    item["error"] = .string("\(error)")
                }
            } else {
                item["sync"] = .string("unknown")
                item["error"] = .string("'\(name)' is not defined in cairn.yaml at HEAD")
            }
            items.append(.object(item))
        }
        return Self.json(.ok, .object(["environments": .array(items)]))
    }

    /// `GET /v1/environments/{env}/artifacts`: the deployed artifacts, without their content.
    func artifacts(environment: String) async throws -> Response {
        let deployed = try await reads.environment(environment)
        let rows = deployed.sorted
        if rows.isEmpty, let missing = try await unknownEnvironment(environment) { return missing }
        return Self.json(.ok, .object([
            "environment": .string(environment), "serial": .int(deployed.serial),
            "artifacts": .array(rows.map { Self.describe($0, content: nil) }),
        ]))
    }

    /// `GET /v1/environments/{env}/artifacts/{kind}/{name}`: one deployed artifact with its content, `ETag:
    /// "<digest>"`; 304 when `If-None-Match` names that digest.
    func artifact(environment: String, kind: String, name: String, ifNoneMatch: String?) async throws -> Response {
        guard let id = ArtifactID("\(kind)/\(name)") else { return Self.badID(kind, name) }
        let deployed = try await reads.environment(environment)
        guard let row = deployed.rows[id] else { return try await notDeployed(id, in: environment, deployed) }
        let etag = "\"sha256:\(row.artifact.digest)\""
        var headers: HTTPFields = [.eTag: etag, .cacheControl: Self.liveCacheControl]
        if let ifNoneMatch, Self.matches(ifNoneMatch, etag) {
            return Response(status: .notModified, headers: headers)
        }
        // Content that still hashes to its digest is the canonical JSON cairn wrote: it goes out as stored, the answer
        // made once per version of the rows. Drifted content (edited behind cairn's back) is parsed first, each time,
        // so that a broken edit is an error, not broken JSON.
        if row.drifted, (try? JSONValue.parse(json: Data(row.artifact.content.utf8))) == nil {
            return Self.problem(.internalServerError, "the deployed content of \(id) in '\(environment)' is not JSON; the store was edited outside cairn")
        }
        let make = { Self.withContent(row.artifact.content, Self.describe(row, content: nil)) }
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: row.drifted ? make() : deployed.body(of: id, make)))
    }

    /// `GET /readyz`: 200 when the store answers and (with a remote) the last good fetch is at most three intervals
    /// old; 503 naming what is not ready otherwise.
    func readiness() async -> Response {
        var checks: [String: JSONValue] = [:]
        var problems: [String] = []
        do {
            _ = try await store.serial(environment: "production")
            checks["store"] = .string("ok")
        } catch {
            checks["store"] = .string("\(error)")
            problems.append("the state store does not answer: \(error)")
        }
        if let fetchInterval {
            let fetch = await status.lastFetch
            if let fetch { checks["lastFetch"] = .object(["at": .string(Timestamp.text(fetch.at)), "error": fetch.error.map(JSONValue.string) ?? .null]) }
            if let good = await status.lastGoodFetch, ContinuousClock.now - good <= fetchInterval * 3 {
                checks["fetch"] = .string("ok")
            } else {
                let reason = fetch?.error.map { "the last fetch failed (\($0))" } ?? "no fetch has worked yet"
                checks["fetch"] = .string(reason)
                problems.append("\(reason), and none has worked for three intervals")
            }
        }
        guard problems.isEmpty else {
            var body = checks
            body["error"] = .string(HTTPResponse.Status.serviceUnavailable.reasonPhrase)
            body["message"] = .string(problems.joined(separator: "; "))
            return Self.json(.serviceUnavailable, .object(body))
        }
        checks["status"] = .string("ready")
        return Self.json(.ok, .object(checks))
    }

    /// 404 for an artifact not deployed in `environment`, naming the closest one that is (or the environments there are).
    func notDeployed(_ id: ArtifactID, in environment: String, _ deployed: DeployedReads.Environment) async throws -> Response {
        if let missing = try await unknownEnvironment(environment) { return missing }
        let ids = deployed.sorted.map(\.artifact.id.description)
        return Self.problem(.notFound, CairnError.notDeployed(id, environment: environment, deployed: ids).description)
    }

    /// 404 naming the environments there are, when `environment` is neither in cairn.yaml at HEAD nor in the store.
    func unknownEnvironment(_ environment: String) async throws -> Response? {
        let configured = (try? reader.config(at: try reader.location.commit("HEAD")).config)??.environments.map(\.name) ?? []
        if configured.contains(environment) { return nil }
        if try await store.serial(environment: environment) > 0 { return nil }
        return Self.problem(.notFound, CairnError.unknownEnvironment(environment, defined: configured).description)
    }

    // MARK: - JSON

    static func describe(_ row: StoredArtifact, content: JSONValue?) -> JSONValue {
        let artifact = row.artifact
        var object: [String: JSONValue] = [
            "kind": .string(artifact.id.kind?.shortName ?? ""), "name": .string(artifact.id.name), "id": .string(artifact.id.description),
            "version": .string(artifact.version.version.description), "digest": .string("sha256:" + artifact.digest),
            "tag": .string(artifact.tag), "commit": .string(artifact.commit), "deployedBy": .string(artifact.deployedBy),
            "deployedAt": .string(Timestamp.text(artifact.deployedAt)), "drifted": .bool(row.drifted),
        ]
        if let content { object["content"] = content }
        return .object(object)
    }

    /// Whether an `If-None-Match` value names `etag` (a list of tags, weak or strong, or `*`).
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            let tag = candidate.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: value.canonicalJSON)))
    }

    /// A request's body, or the 413 that refuses one over `limit` bytes (before it is read whole).
    enum Body {
        case bytes(ByteBuffer)
        case refused(Response)
    }

    static func body(of request: Request, limit: Int, what: String) async -> Body {
        var request = request
        do {
            return .bytes(try await request.collectBody(upTo: limit))
        } catch {
            return .refused(problem(.contentTooLarge, "\(what) is at most \(limit >> 20) MiB"))
        }
    }

    static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, .object(["error": .string(status.reasonPhrase), "message": .string(message)]))
    }
}

/// Refuses a `/v1` request (but the webhooks, which the sender signs) without `Authorization: Bearer TOKEN` (401),
/// when a token is set. The comparison takes the same time wherever the two differ.
struct BearerToken: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: BasicRequestContext, next: (Request, BasicRequestContext) async throws -> Response) async throws -> Response {
        guard let token else { return try await next(request, context) }
        let path = request.uri.path
        guard path.hasPrefix("/v1/") || path == "/v1", !path.hasPrefix("/v1/webhooks/") else { return try await next(request, context) }
        let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
        guard constantTimeEqual(Array(given.utf8), Array(token.utf8)) else {
            var response = ReadAPI.problem(.unauthorized, "this server needs 'Authorization: Bearer TOKEN' (the token of --token-file)")
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return try await next(request, context)
    }
}

/// The router and the table of its paths (for 405 answers), filled together.
final class Routes {
    let router = Router<BasicRequestContext>()
    let table = RouteTable()

    typealias Handler = @Sendable (Request, BasicRequestContext) async throws -> Response

    func get(_ path: String, _ handler: @escaping Handler) { on(.get, path, handler) }
    func post(_ path: String, _ handler: @escaping Handler) { on(.post, path, handler) }

    private func on(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        table.add(method, path)
        router.on(RouterPath(path), method: method, use: handler)
    }
}

/// Which methods each path pattern (`/v1/environments/:env/artifacts`) answers.
final class RouteTable: @unchecked Sendable {
    private let lock = NSLock()
    private var patterns: [(method: HTTPRequest.Method, segments: [Substring])] = []

    func add(_ method: HTTPRequest.Method, _ path: String) {
        lock.withLock { patterns.append((method, path.split(separator: "/"))) }
    }

    /// The methods of the patterns `path` matches (a `:name` segment matches any one segment).
    func methods(for path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return lock.withLock {
            patterns.filter { pattern in
                pattern.segments.count == segments.count && zip(pattern.segments, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
            }.map(\.method)
        }
    }
}

/// Every error as `{error, message}`: what a handler threw (500 with its description), and the router's own 404 (or
/// 405 with `Allow` when the path is known and the method is not).
struct ErrorJSON: RouterMiddleware {
    let table: RouteTable

    func handle(_ request: Request, context: BasicRequestContext, next: (Request, BasicRequestContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let path = request.uri.path
            if error.status == .notFound, case let allowed = table.methods(for: path), !allowed.isEmpty, !allowed.contains(request.method) {
                let names = allowed.map(\.rawValue).joined(separator: ", ")
                var response = ReadAPI.problem(.methodNotAllowed, "\(path) answers \(names), not \(request.method.rawValue)")
                response.headers[.allow] = names
                return response
            }
            let message = error.body ?? (error.status == .notFound ? "there is no \(path) (see schemas/openapi.yaml)" : error.status.reasonPhrase)
            return ReadAPI.problem(error.status, message)
        } catch {
            return ReadAPI.problem(.internalServerError, "\(error)")
        }
    }
}
