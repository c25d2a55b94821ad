import CairnModel
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// Wakes the agent before its interval is up (a webhook arrived). Signals while it is busy are kept, as one: the
/// agent then fetches once more when it is done.
public actor Wakeup {
    private var pending = false
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    public init() {}

    public func signal() {
        guard !waiters.isEmpty else { return pending = true }
        for waiter in waiters.values { waiter.resume() }
        waiters = [:]
    }

    /// Returns after `duration`, at a signal, or when the task is cancelled, whichever comes first.
    func wait(for duration: Duration) async {
        if pending { return pending = false }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: duration) }
            group.addTask { await self.nextSignal() }
            await group.next()
            group.cancelAll()
        }
        pending = false
    }

    private func nextSignal() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled { continuation.resume() } else { waiters[id] = continuation }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    private func cancel(_ id: UUID) { waiters.removeValue(forKey: id)?.resume() }
}

/// `POST /v1/webhooks/{github,gitlab,generic}`: a push or tag event from the git host makes the agent fetch now
/// instead of at its next interval. The payload is not trusted and not read past its signature: whatever it says,
/// the agent fetches and reads git itself. A missing or wrong signature is 401 and wakes nothing; signatures and
/// tokens are compared in constant time.
///
/// - github: `X-Hub-Signature-256: sha256=HEX`, HMAC-SHA256 of the body with the secret (GitHub's format);
/// - gitlab: `X-Gitlab-Token: SECRET` (GitLab sends the secret itself);
/// - generic: `X-Cairn-Signature-256: sha256=HEX`, as GitHub's, for any other sender.
struct Webhooks {
    /// Nil: no `--webhook-secret-file`, and the endpoints answer 404.
    let secret: [UInt8]?
    let wakeup: Wakeup

    /// Larger bodies are refused (413) before they are read whole: a push event of a few commits is a few KiB.
    static let bodyLimit = 2 << 20

    /// The header each sender signs with.
    static let headers = ["github": "X-Hub-Signature-256", "gitlab": "X-Gitlab-Token", "generic": "X-Cairn-Signature-256"]

    func add(to routes: Routes) {
        for sender in Self.headers.keys.sorted() {
            routes.post("/v1/webhooks/\(sender)") { request, context in try await self.receive(sender, request, context) }
        }
    }

    func receive(_ sender: String, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let secret else {
            return ReadAPI.problem(.notFound, "webhooks are off: start cairn serve with --webhook-secret-file FILE")
        }
        let body: ByteBuffer
        switch await ReadAPI.body(of: request, limit: Self.bodyLimit, what: "a webhook body") {
        case .bytes(let bytes): body = bytes
        case .refused(let refusal): return refusal
        }
        let bytes = Array(body.readableBytesView)
        let header = Self.headers[sender]!
        let given = request.headers[HTTPField.Name(header)!]
        let valid = sender == "gitlab" ? constantTimeEqual(Array((given ?? "").utf8), secret) : Self.verify(signature: given, body: bytes, secret: secret)
        guard valid else {
            return ReadAPI.problem(.unauthorized, "the webhook's \(header) is missing or does not match the secret; nothing was fetched")
        }
        await wakeup.signal()
        return ReadAPI.json(.accepted, .object(["status": .string("accepted"), "message": .string("the agent fetches and reconciles now")]))
    }

    /// Whether `signature` is `sha256=HEX` of the HMAC-SHA256 of `body` with `secret`.
    static func verify(signature: String?, body: [UInt8], secret: [UInt8]) -> Bool {
        guard let signature, signature.hasPrefix("sha256="), let code = [UInt8](hexString: signature.dropFirst(7)), code.count == 32 else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: body, using: SymmetricKey(data: secret))
    }
}

/// Constant-time equality (in the length of the longer input): tokens and secrets are compared with it.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
    for index in 0..<max(a.count, b.count) {
        difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
    }
    return difference == 0
}
