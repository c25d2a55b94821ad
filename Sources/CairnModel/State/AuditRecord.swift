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

    /// The bytes the hash covers: every field but `hash`, as canonical JSON. Written out in the keys' sorted order
    /// directly (the same text `JSONValue.object(...).canonicalJSON` gives), because verify runs this a million times.
    public var canonicalBody: String {
        var out = "{\"action\":"
        out.reserveCapacity(256 + compliance.utf8.count)
        JSONValue.appendQuoted(action, to: &out)
        out += ",\"actor\":"
        JSONValue.appendQuoted(actor, to: &out)
        out += ",\"artifact\":"
        JSONValue.appendQuoted(artifact, to: &out)
        out += ",\"commit\":"
        JSONValue.appendQuoted(commit, to: &out)
        out += ",\"compliance\":"
        JSONValue.appendQuoted(compliance, to: &out)
        out += ",\"digest\":"
        JSONValue.appendQuoted(digest, to: &out)
        out += ",\"environment\":"
        JSONValue.appendQuoted(environment, to: &out)
        out += ",\"planSummary\":"
        JSONValue.appendQuoted(planSummary, to: &out)
        out += ",\"previousHash\":"
        JSONValue.appendQuoted(previousHash, to: &out)
        out += ",\"sequence\":" + String(sequence)
        out += ",\"tag\":"
        JSONValue.appendQuoted(tag, to: &out)
        out += ",\"time\":" + String(time) + "}"
        return out
    }
}
