import CairnModel

/// One reconciliation of one environment by an agent (`cairn serve`), as the store keeps it: the environment's
/// reconciliation history is shared by every agent on the store, survives restarts, and is what `cairn status` and
/// `GET /v1/environments` show.
///
/// As in Flux's history, runs that end the same way on the same input are one entry: an agent that finds an
/// environment in sync every minute adds one entry, not one a minute (`runs` counts them, `firstAt`...`at` spans
/// them). An apply is always an entry of its own.
public struct Reconciliation: Sendable, Hashable {
    public enum Result: String, Sendable, CaseIterable {
        /// The plan had changes and they were applied.
        case applied
        /// Nothing to apply: what is deployed matches git.
        case inSync = "in-sync"
        /// Apply refused (a policy, problems in the declared state): nothing was written.
        case refused
        /// Another apply holds the environment's lease; tried again next time.
        case busy
        /// Something failed (git, the store); retried with backoff.
        case failed
    }

    public var environment: String
    /// The commit (HEAD) whose cairn.yaml and tags were reconciled.
    public var revision: String
    /// SHA-256 (hex) over what git declares for the environment at `revision` (`DeclaredState.digest`); empty when
    /// the reconciliation failed before it was known.
    public var declaredDigest: String
    public var result: Result
    /// Actions applied (for `applied`).
    public var changes: Int
    /// Why it was refused, busy or failed.
    public var message: String?
    /// How long the last of its runs took.
    public var milliseconds: Int
    /// When its last run ended, seconds since 1970.
    public var at: Int64
    /// When its first run ended.
    public var firstAt: Int64
    /// How many runs it stands for.
    public var runs: Int
    /// Who reconciled (the agent's actor) and where (host), for the last run.
    public var agent: String

    public init(environment: String, revision: String, declaredDigest: String, result: Result, changes: Int, message: String?,
                milliseconds: Int, at: Int64, firstAt: Int64? = nil, runs: Int = 1, agent: String) {
        self.environment = environment
        self.revision = revision
        self.declaredDigest = declaredDigest
        self.result = result
        self.changes = changes
        self.message = message
        self.milliseconds = milliseconds
        self.at = at
        self.firstAt = firstAt ?? at
        self.runs = runs
        self.agent = agent
    }

    /// How many entries a store keeps per environment.
    public static let kept = 20

    /// Whether `next` is one more run of this entry rather than an entry of its own: the same revision and declared
    /// state, ending the same way for the same reason, and not an apply.
    public func absorbs(_ next: Reconciliation) -> Bool {
        result != .applied && next.result == result && next.environment == environment && next.revision == revision
            && next.declaredDigest == declaredDigest && next.message == message
    }

    /// This entry with `next` as its latest run.
    public func merged(with next: Reconciliation) -> Reconciliation {
        var merged = next
        merged.firstAt = firstAt
        merged.runs = runs + next.runs
        return merged
    }
}

extension Reconciliation {
    /// As `GET /v1/environments` and `cairn status --format json` give it.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "revision": .string(revision), "result": .string(result.rawValue), "changes": .int(changes), "durationMs": .int(milliseconds),
            "at": .string(Timestamp.text(at)), "firstAt": .string(Timestamp.text(firstAt)), "runs": .int(runs), "agent": .string(agent),
        ]
        if !declaredDigest.isEmpty { object["declaredDigest"] = .string("sha256:" + declaredDigest) }
        if let message { object["message"] = .string(message) }
        return .object(object)
    }

    /// One line: `in-sync at TIME (12 runs since TIME) by AGENT, revision abc1234: MESSAGE`.
    public var summary: String {
        "\(result.rawValue)\(changes > 0 ? " (\(changes) changes)" : "") at \(Timestamp.text(at))"
            + (runs > 1 ? " (\(runs) runs since \(Timestamp.text(firstAt)))" : "")
            + " by \(agent), revision \(revision.prefix(7))" + (message.map { ": " + $0 } ?? "")
    }
}

