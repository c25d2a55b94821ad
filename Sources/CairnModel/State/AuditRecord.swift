/// One entry of the append-only, hash-chained audit trail.
public struct AuditRecord: Sendable, Hashable {
    public var sequence: Int64
    /// Seconds since 1970.
    public var time: Int64
    public var actor: String
    /// apply, prune, refuse, drift-repair (later: promote, rollback).
    public var action: String
    public var environment: String
    /// `KIND/NAME@VERSION`, empty for records about a whole plan.
    public var artifact: String
    public var digest: String
    public var commit: String
    public var tag: String
    public var planSummary: String
    /// Canonical JSON of the artifact's compliance block at that moment (or the refusal's reason).
    public var compliance: String
    public var previousHash: String
    public var hash: String

    public init(sequence: Int64, time: Int64, actor: String, action: String, environment: String, artifact: String, digest: String,
                commit: String, tag: String, planSummary: String, compliance: String, previousHash: String, hash: String) {
        self.sequence = sequence
        self.time = time
        self.actor = actor
        self.action = action
        self.environment = environment
        self.artifact = artifact
        self.digest = digest
        self.commit = commit
        self.tag = tag
        self.planSummary = planSummary
        self.compliance = compliance
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The text the hash covers: every field but `hash`, as canonical JSON (sorted keys, no whitespace).
    public var canonicalBody: String {
        var bytes: [UInt8] = []
        appendCanonicalBody(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the canonical body as UTF-8, keys written in their sorted order directly (the same bytes
    /// `JSONValue.object(...).canonicalJSON` gives): verify runs this a million times.
    public func appendCanonicalBody(to out: inout [UInt8]) {
        func key(_ name: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        }
        key("{\"action\":"); JSONValue.appendQuoted(action, to: &out)
        key(",\"actor\":"); JSONValue.appendQuoted(actor, to: &out)
        key(",\"artifact\":"); JSONValue.appendQuoted(artifact, to: &out)
        key(",\"commit\":"); JSONValue.appendQuoted(commit, to: &out)
        key(",\"compliance\":"); JSONValue.appendQuoted(compliance, to: &out)
        key(",\"digest\":"); JSONValue.appendQuoted(digest, to: &out)
        key(",\"environment\":"); JSONValue.appendQuoted(environment, to: &out)
        key(",\"planSummary\":"); JSONValue.appendQuoted(planSummary, to: &out)
        key(",\"previousHash\":"); JSONValue.appendQuoted(previousHash, to: &out)
        key(",\"sequence\":"); out.append(contentsOf: String(sequence).utf8)
        key(",\"tag\":"); JSONValue.appendQuoted(tag, to: &out)
        key(",\"time\":"); out.append(contentsOf: String(time).utf8)
        out.append(UInt8(ascii: "}"))
    }
}
