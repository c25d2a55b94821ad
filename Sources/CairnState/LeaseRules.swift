import CairnModel

/// When a lease may be taken from its holder, for every store alike.
public enum LeaseRules {
    /// nil when the environment's lease is free (given back or never taken); otherwise why `held` may be taken over
    /// (its time ran out, or its process is gone on this host, which the audit record says), or `StateError.leaseHeld`.
    public static func takeover(of held: Lease, by process: LeaseHolder, now: Int64) throws -> String? {
        guard !held.id.isEmpty else { return nil }
        if held.expiresAt <= now {
            return "took over lease \(held.id) of \(held.holder): it expired at \(Timestamp.text(held.expiresAt))"
        }
        guard held.host == process.host, held.pid > 0, !LeaseHolder.isRunning(pid: held.pid) else {
            throw StateError.leaseHeld(held)
        }
        return "took over lease \(held.id) of \(held.holder): its process \(held.pid) on \(held.host) is gone"
    }
}
