/// What an audit record says happened. The text is what the store keeps and exports (`apply`, `drift-repair`, ...).
public enum AuditAction: String, Sendable, Hashable, CaseIterable {
    /// A deployed row written to match git.
    case apply
    /// A deployed row that had been edited outside cairn, written back.
    case driftRepair = "drift-repair"
    /// A deployed row removed because git no longer declares it.
    case prune
    /// An apply, promotion or rollback that a policy or a check refused; nothing else was written.
    case refuse
    case register, promote, rollback, hold, release
    /// An environment's direct assignment of an artifact withdrawn (GTO's `NAME#ENV!#N`).
    case unassign
    /// An artifact marked deprecated (GTO's `NAME@deprecated#N`): listed no more, its tags kept.
    case deprecate
    /// An apply lease whose holding process had died on this host, taken over.
    case leaseTakeover = "lease-takeover"
    /// A bad audit anchor set aside (`cairn audit retire-anchor`).
    case retireAnchor = "retire-anchor"
    /// An evaluation recorded as evidence about a version (`cairn evidence add`, a `cairn-eval/` tag).
    case evaluate
    /// An approval recorded as evidence about a version (`cairn approve`, a `cairn-approval/` tag).
    case approve

    /// Actions that put an artifact's content into an environment.
    public var deploys: Bool { self == .apply || self == .driftRepair }
}
