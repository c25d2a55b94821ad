import CairnManifest
import CairnModel
import CairnReconciler
import CairnRegistry
import CairnState
import Foundation
import Hummingbird

/// The read API beyond one deployed artifact: the exact registered versions (from git), an environment's snapshot,
/// rendering a deployed prompt, and the audit trail, history and compliance report.
extension ReadAPI {
    /// Render bodies are at most this large.
    static let renderBodyLimit = 1 << 20
    /// Audit pages hold at most this many records.
    static let auditPageLimit = 1000

    func addMoreRoutes(to v1: Routes) {
        v1.get("/v1/environments/:env/snapshot") { request, context in
            try await self.snapshot(environment: try Self.parameter(context, "env"), ifNoneMatch: request.headers[.ifNoneMatch])
        }
        // Under :kind, not a literal `prompt` segment: the router does not step back from a literal, so a `prompt` node
        // beside `:kind` would hide GET .../artifacts/prompt/NAME.
        v1.post("/v1/environments/:env/artifacts/:kind/:name/render") { request, context in
            let kind = try Self.parameter(context, "kind")
            guard kind == ArtifactKind.promptTemplate.shortName else {
                return Self.problem(.notFound, "only prompts render: POST /v1/environments/ENV/artifacts/prompt/NAME/render")
            }
            return try await self.render(environment: try Self.parameter(context, "env"), name: try Self.parameter(context, "name"), request: request)
        }
        v1.get("/v1/environments/:env/report") { request, context in
            try await self.report(environment: try Self.parameter(context, "env"), query: request.uri.queryParameters)
        }
        v1.get("/v1/artifacts/:kind/:name/versions/:version") { request, context in
            try self.registeredVersion(kind: try Self.parameter(context, "kind"), name: try Self.parameter(context, "name"),
                                       version: try Self.parameter(context, "version"), ifNoneMatch: request.headers[.ifNoneMatch])
        }
        v1.get("/v1/artifacts/:kind/:name/history") { request, context in
            try self.history(kind: try Self.parameter(context, "kind"), name: try Self.parameter(context, "name"),
                             environment: request.uri.queryParameters["environment"].map(String.init))
        }
        v1.get("/v1/history") { request, _ in
            try self.history(kind: nil, name: nil, environment: request.uri.queryParameters["environment"].map(String.init))
        }
        v1.get("/v1/audit") { request, _ in try await self.audit(query: request.uri.queryParameters) }
        v1.get("/v1/audit/verify") { _, _ in try await self.verifyAudit() }
    }

    // MARK: - Registered versions

    /// `GET /v1/artifacts/{kind}/{name}/versions/{version}`: a registered version as its registration tag's commit
    /// holds it. Registered versions are immutable, so the answer is `Cache-Control: immutable`.
    func registeredVersion(kind: String, name: String, version text: String, ifNoneMatch: String?) throws -> Response {
        guard let id = ArtifactID("\(kind)/\(name)") else { return Self.badID(kind, name) }
        guard let semver = SemVer(text.hasPrefix("v") ? String(text.dropFirst()) : text) else {
            return Self.problem(.badRequest, "'\(text)' is not a version (X.Y.Z)")
        }
        let version = ArtifactVersion(id: id, version: semver)
        let registrations = Registrations(try reader.tagEvents())
        guard let tag = registrations.live[version] else {
            let known = registrations.liveVersions[id]?.map(\.version.description) ?? []
            let message = registrations.deregistered.contains(version) ? "\(version) was deregistered"
                : known.isEmpty ? "\(id) has no registered version"
                : "\(version) is not registered (registered: \(known.joined(separator: ", ")))"
            return Self.problem(.notFound, message)
        }
        let content = try reader.document(of: version, at: tag.commit).canonicalJSON
        let digest = ContentDigest.sha256(Array(content.utf8))
        let etag = "\"sha256:\(digest)\""
        var headers: HTTPFields = [.eTag: etag, .cacheControl: "public, max-age=31536000, immutable"]
        if let ifNoneMatch, Self.matches(ifNoneMatch, etag) { return Response(status: .notModified, headers: headers) }
        let rest: JSONValue = .object([
            "kind": .string(kind), "name": .string(name), "id": .string(id.description), "version": .string(semver.description),
            "digest": .string("sha256:" + digest), "tag": .string(tag.name), "commit": .string(tag.commit.hex),
        ])
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: Self.withContent(content, rest)))
    }

    // MARK: - Snapshot

    /// `GET /v1/environments/{env}/snapshot`: every deployed artifact with its content, and one digest over the
    /// (id, digest) pairs, as ETag: what a client prefetches at start-up and keeps on disk for when the server is away.
    /// Read in one store read, so an apply is seen whole or not at all.
    func snapshot(environment: String, ifNoneMatch: String?) async throws -> Response {
        let rows = try await reads.environment(environment).sorted
        if rows.isEmpty, let missing = try await unknownEnvironment(environment) { return missing }
        let pairs = rows.map { "\($0.artifact.version.id)\t\($0.artifact.digest)\n" }.joined()
        let digest = "sha256:" + ContentDigest.sha256(Array(pairs.utf8))
        let etag = "\"\(digest)\""
        var headers: HTTPFields = [.eTag: etag, .cacheControl: Self.liveCacheControl]
        if let ifNoneMatch, Self.matches(ifNoneMatch, etag) { return Response(status: .notModified, headers: headers) }
        var body = ByteBuffer()
        body.writeString("{\"artifacts\":[")
        for (index, row) in rows.enumerated() {
            if index > 0 { body.writeString(",") }
            guard !row.drifted || (try? JSONValue.parse(json: Data(row.artifact.content.utf8))) != nil else {
                return Self.problem(.internalServerError, "the deployed content of \(row.artifact.version.id) in '\(environment)' is not JSON; the store was edited outside cairn")
            }
            body.writeImmutableBuffer(Self.withContent(row.artifact.content, Self.describe(row, content: nil)))
        }
        body.writeString("],\"digest\":\(JSONValue.string(digest).canonicalJSON),\"environment\":\(JSONValue.string(environment).canonicalJSON)}")
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// `{"content":CONTENT,...rest}`: stored content goes out as stored (canonical JSON), not parsed and printed again.
    static func withContent(_ content: String, _ rest: JSONValue) -> ByteBuffer {
        var body = ByteBuffer()
        body.writeString("{\"content\":")
        body.writeString(content)
        body.writeString(",")
        body.writeSubstring(rest.canonicalJSON.dropFirst())
        return body
    }

    static func badID(_ kind: String, _ name: String) -> Response {
        problem(.badRequest, "'\(kind)/\(name)' is not KIND/NAME (kinds: \(ArtifactKind.allCases.map(\.shortName).joined(separator: ", ")))")
    }

    // MARK: - Render

    /// `POST /v1/environments/{env}/artifacts/prompt/{name}/render` with `{"variables": {...}}`: the deployed prompt
    /// filled in (`text`, or chat `messages`), 422 naming a missing, unknown or mistyped variable. When a deployed
    /// deployment runs this prompt (as its target, or through its chain) and names a `runtime.fallback`, that prompt is
    /// rendered with the same variables and returned beside it.
    func render(environment: String, name: String, request: Request) async throws -> Response {
        guard let id = ArtifactID("prompt/\(name)") else { return Self.badID("prompt", name) }
        let bytes: ByteBuffer
        switch await Self.body(of: request, limit: Self.renderBodyLimit, what: "a render request") {
        case .bytes(let body): bytes = body
        case .refused(let refusal): return refusal
        }
        let variables: [String: JSONValue]
        switch bytes.readableBytes == 0 ? .object([:]) : try? JSONValue.parse(json: Data(bytes.readableBytesView)) {
        case .object(let body)?:
            switch body["variables"] ?? .object([:]) {
            case .object(let values) where body.keys.allSatisfy({ $0 == "variables" }): variables = values
            default: return Self.problem(.badRequest, "the body is {\"variables\": {NAME: VALUE, ...}} and nothing else")
            }
        default: return Self.problem(.badRequest, "the body is not JSON: send {\"variables\": {NAME: VALUE, ...}}")
        }
        let deployed = try await reads.environment(environment)
        guard let row = deployed.rows[id] else { return try await notDeployed(id, in: environment, deployed) }
        guard let prompt = (try? deployed.prompt(of: row)) ?? nil else {
            return Self.problem(.internalServerError, "the deployed content of \(id) in '\(environment)' is not a prompt; the store was edited outside cairn")
        }
        var answer: [String: JSONValue]
        let rendered: PromptRenderer.Rendered
        do {
            rendered = try PromptRenderer.render(prompt, values: variables)
            answer = Self.rendered(rendered)
        } catch {
            return Self.problem(.unprocessableContent, "\(row.artifact.version): \(error.message)")
        }
        answer["id"] = .string(id.description)
        answer["version"] = .string(row.artifact.version.version.description)
        answer["digest"] = .string("sha256:" + row.artifact.digest)
        answer["environment"] = .string(environment)
        if let fallback = try fallback(for: id, in: deployed, variables: variables, rendered: (row.artifact.version, rendered)) {
            answer["fallback"] = fallback
        }
        return Self.json(.ok, .object(answer))
    }

    static func rendered(_ rendered: PromptRenderer.Rendered) -> [String: JSONValue] {
        switch rendered {
        case .text(let text): ["type": .string("text"), "text": .string(text)]
        case .chat(let messages):
            ["type": .string("chat"), "messages": .array(messages.map { .object(["role": .string($0.role), "content": .string($0.content)]) })]
        }
    }

    /// The fallback of the first deployed deployment (by id) that runs `prompt`: its reference, and the prompt it
    /// resolves to (deployed here when a deployed version satisfies it, else the registered exact version) rendered
    /// with `variables`, or why it could not be.
    /// `rendered` is the prompt's own rendering: when the fallback resolves to the same version, it is that.
    func fallback(for prompt: ArtifactID, in deployed: DeployedReads.Environment, variables: [String: JSONValue],
                  rendered: (version: ArtifactVersion, output: PromptRenderer.Rendered)) throws -> JSONValue? {
        // Which deployment's fallback applies depends on the rows alone: found once per version of them.
        let site = deployed.memo(\.fallbacks, prompt) { () -> DeployedReads.FallbackSite? in
            for deployment in deployed.sorted where deployment.artifact.version.id.kind == .deployment {
                guard case .deployment(let spec)? = try? deployed.spec(of: deployment), let text = spec.runtime?.fallback,
                      runs(spec.target, prompt: prompt, in: deployed) else { continue }
                return DeployedReads.FallbackSite(deployment: deployment.artifact.version.id, text: text, reference: ArtifactReference(text))
            }
            return nil
        }
        guard let site else { return nil }
        var answer: [String: JSONValue] = ["deployment": .string(site.deployment.description), "reference": .string(site.text)]
        guard let reference = site.reference, reference.id.kind == .promptTemplate else {
            answer["error"] = .string("'\(site.text)' is not a prompt reference")
            return .object(answer)
        }
        var resolved: (version: ArtifactVersion, prompt: PromptRenderer.Prepared, source: String)?
        if let row = deployed.rows[reference.id], reference.requirement.accepts(row.artifact.version.version), let prompt = (try? deployed.prompt(of: row)) ?? nil {
            resolved = (row.artifact.version, prompt, "deployed")
        } else if case .exact(let pinned) = reference.requirement {
            let version = ArtifactVersion(id: reference.id, version: pinned)
            if let tag = Registrations(try reader.tagEvents()).live[version],
               case .promptTemplate(let spec)? = try? reader.artifact(version, at: tag.commit).spec {
                resolved = (version, PromptRenderer.Prepared(spec), "registered")
            }
        }
        guard let resolved else {
            answer["error"] = .string("no deployed or registered prompt satisfies \(site.text)")
            return .object(answer)
        }
        answer["id"] = .string(resolved.version.id.description)
        answer["version"] = .string(resolved.version.version.description)
        answer["source"] = .string(resolved.source)
        do {
            let output = resolved.version == rendered.version ? rendered.output : try PromptRenderer.render(resolved.prompt, values: variables)
            answer.merge(Self.rendered(output)) { $1 }
        } catch {
            answer["error"] = .string("\(resolved.version): \(error.message)")
        }
        return .object(answer)
    }

    /// Whether a deployment's target is `prompt`, or a chain deployed here with a step that uses it.
    func runs(_ target: DeploymentSpec.Target, prompt: ArtifactID, in deployed: DeployedReads.Environment) -> Bool {
        if let text = target.prompt, ArtifactReference(text)?.id == prompt { return true }
        guard let text = target.chain, let chain = ArtifactReference(text)?.id, let row = deployed.rows[chain],
              case .chain(let spec)? = try? deployed.spec(of: row) else { return false }
        return spec.steps.contains { step in step.prompt.flatMap { ArtifactReference($0)?.id } == prompt }
    }

    // MARK: - Audit, history, report

    /// `GET /v1/audit?environment=&artifact=&since=&until=&after=&limit=`: audit records, oldest first, `limit` (at
    /// most 1000, default 100) after sequence `after`; `next` is the `after` of the following page, absent on the last.
    func audit(query: Parameters) async throws -> Response {
        var filter = AuditQuery(environment: query["environment"].map(String.init), artifact: query["artifact"].map(String.init))
        do {
            filter.since = try query["since"].map { try Self.time(String($0), "since") }
            filter.until = try query["until"].map { try Self.time(String($0), "until") }
        } catch let problem as BadQuery {
            return Self.problem(.badRequest, problem.message)
        }
        let after = query["after"].map { Int64($0) } ?? 0
        let limit = query["limit"].map { Int($0) } ?? 100
        guard let after, let limit, after >= 0, (1...Self.auditPageLimit).contains(limit) else {
            return Self.problem(.badRequest, "after is a sequence number (0 or more) and limit a count from 1 to \(Self.auditPageLimit)")
        }
        // One more than the page, to know whether there is a next one.
        filter.after = after
        filter.limit = limit + 1
        let records = try await store.auditRecords(filter)
        let page = records.prefix(limit)
        var body: [String: JSONValue] = ["records": .array(page.map(AuditJSON.value))]
        if records.count > limit, let last = page.last { body["next"] = .int(Int(last.sequence)) }
        return Self.json(.ok, .object(body))
    }

    struct BadQuery: Error {
        let message: String
    }

    static func time(_ text: String, _ parameter: String) throws -> Int64 {
        guard let seconds = Int64(text) ?? Timestamp.seconds(text) else {
            throw BadQuery(message: "\(parameter) '\(text)' is not a time; write 2026-03-03T12:00:00Z, 2026-03-03 or seconds since 1970")
        }
        return seconds
    }

    /// `GET /v1/audit/verify`: the chain walked from the first record: intact (200) or where it breaks (409).
    func verifyAudit() async throws -> Response {
        let verification = try await store.verifyAudit()
        var body: [String: JSONValue] = [
            "records": .int(verification.records), "headHash": .string(verification.headHash), "lastSequence": .int(Int(verification.lastSequence)),
            "intact": .bool(verification.firstBad == nil),
        ]
        if let bad = verification.firstBad {
            body["firstBad"] = .object(["sequence": .int(Int(bad.sequence)), "reason": .string(bad.reason)])
        }
        return Self.json(verification.firstBad == nil ? .ok : .conflict, .object(body))
    }

    /// `GET /v1/artifacts/{kind}/{name}/history?environment=` and `GET /v1/history?environment=`: the tag history
    /// (`cairn history --format json`).
    func history(kind: String?, name: String?, environment: String?) throws -> Response {
        let ledger = try reader.ledger()
        var id: ArtifactID?
        if let kind, let name {
            guard let parsed = ArtifactID("\(kind)/\(name)") else { return Self.badID(kind, name) }
            guard ledger.rows.contains(where: { $0.id == parsed }) else { return Self.problem(.notFound, ledger.unknown(parsed).description) }
            id = parsed
        }
        if let environment, !ledger.namedEnvironments.contains(environment) {
            return Self.problem(.notFound, CairnError.unknownEnvironment(environment, defined: ledger.namedEnvironments.sorted()).description)
        }
        return Self.json(.ok, TagLedger.historyJSON(ledger.history(of: id, environment: environment)))
    }

    /// `GET /v1/environments/{env}/report?at=TIME&format=json|markdown`: what ran at `at` (default now), with its
    /// compliance metadata and provenance (`cairn report`).
    func report(environment: String, query: Parameters) async throws -> Response {
        let moment: Int64
        do {
            moment = try query["at"].map { try Self.time(String($0), "at") } ?? Int64(Date().timeIntervalSince1970)
        } catch let problem as BadQuery {
            return Self.problem(.badRequest, problem.message)
        }
        let format = query["format"].map(String.init) ?? "json"
        guard format == "json" || format == "markdown" else { return Self.problem(.badRequest, "format is json or markdown") }
        let records = try await store.auditRecords(AuditQuery(environment: environment, until: moment))
        if records.isEmpty, let missing = try await unknownEnvironment(environment) { return missing }
        let report = ComplianceReport.build(environment: environment, at: moment, records: records)
        guard format == "json" else {
            return Response(status: .ok, headers: [.contentType: "text/markdown; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: report.markdown)))
        }
        return Self.json(.ok, report.json)
    }
}
