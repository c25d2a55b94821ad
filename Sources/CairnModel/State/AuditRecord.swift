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

    /// The bytes the hash covers: every field but `hash`, as canonical JSON.
    public var canonicalBody: String {
        JSONValue.object([
            "sequence": .int(Int(sequence)), "time": .int(Int(time)), "actor": .string(actor), "action": .string(action),
            "environment": .string(environment), "artifact": .string(artifact), "digest": .string(digest),
            "commit": .string(commit), "tag": .string(tag), "planSummary": .string(planSummary),
            "compliance": .string(compliance), "previousHash": .string(previousHash),
        ]).canonicalJSON
    }
}
