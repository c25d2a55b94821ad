/// One step of a plan: create, update or prune an artifact in an environment.
public struct PlanAction: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case create, update, prune

        /// `+`, `~`, `-` as Terraform prints them.
        public var symbol: String {
            switch self {
            case .create: "+"
            case .update: "~"
            case .prune: "-"
            }
        }
    }

    public var kind: Kind
    public var id: ArtifactID
    public var from: SemVer?
    public var to: SemVer?
    /// The declared content (nil for prunes).
    public var declared: DeclaredArtifact?
    /// Field-level summary of an update (`spec.template`, `metadata.version`, ...).
    public var changedFields: [String]
    /// True when the deployed row no longer matches what cairn wrote (the update repairs it).
    public var repairsDrift: Bool

    public init(kind: Kind, id: ArtifactID, from: SemVer?, to: SemVer?, declared: DeclaredArtifact?, changedFields: [String] = [], repairsDrift: Bool = false) {
        self.kind = kind
        self.id = id
        self.from = from
        self.to = to
        self.declared = declared
        self.changedFields = changedFields
        self.repairsDrift = repairsDrift
    }

    public var description: String {
        switch kind {
        case .create: return "+ create \(id)@\(to!)"
        case .prune: return "- prune  \(id)@\(from!)"
        case .update:
            let versions = from == to ? "@\(to!)" : "@\(from!) → \(to!)"
            var text = "~ update \(id)\(versions)"
            if repairsDrift { text += " (drift: deployed content was changed outside cairn)" }
            if !changedFields.isEmpty { text += " [" + changedFields.joined(separator: ", ") + "]" }
            return text
        }
    }
}

/// What an apply will do to one environment, and what it was computed from.
public struct Plan: Sendable, Hashable {
    public var environment: String
    /// The commit the declared state was read at.
    public var commit: String
    /// The store's serial for the environment when the plan was made; apply refuses a plan whose serial moved.
    public var serial: Int
    /// Ordered: datasets, adapters, prompts, chains, deployments; prunes last.
    public var actions: [PlanAction]
    /// Problems found while resolving declared state (unregistered versions...). A plan with problems cannot apply.
    public var problems: [PlanProblem]

    public init(environment: String, commit: String, serial: Int, actions: [PlanAction], problems: [PlanProblem]) {
        self.environment = environment
        self.commit = commit
        self.serial = serial
        self.actions = actions
        self.problems = problems
    }

    public var hasChanges: Bool { !actions.isEmpty }

    /// `2 to create, 1 to update, 0 to prune`.
    public var summary: String {
        var counts: [PlanAction.Kind: Int] = [:]
        for action in actions { counts[action.kind, default: 0] += 1 }
        return "\(counts[.create] ?? 0) to create, \(counts[.update] ?? 0) to update, \(counts[.prune] ?? 0) to prune"
    }
}

/// Why what git declares for an environment cannot be applied: what kind of problem, which tag or artifact it is
/// about, and the sentence that says so (with what to do). Ordered by that sentence, so reports do not depend on
/// the order of a walk.
public struct PlanProblem: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// An assignment tag that cannot be honoured: it names no registered version, or one on hold.
        case assignment
        /// Two artifacts need different versions of a third.
        case conflict
        /// A registration tag points at a commit where its version is not.
        case notAtRegistration
        /// A version range where the environment takes exact pins only.
        case rangeInProtected
        /// A reference that no registered version fits.
        case unregisteredReference
        /// A file that does not validate at its registration commit.
        case invalidFile
        /// A file that is not as it was resolved (not at its path in its registration commit, or other content).
        case contentMismatch
    }

    public let kind: Kind
    /// The tag, or `KIND/NAME@VERSION`, it is about.
    public let subject: String
    public let message: String

    public init(_ kind: Kind, subject: String, message: String) {
        (self.kind, self.subject, self.message) = (kind, subject, message)
    }

    public var description: String { message }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.message, lhs.subject) < (rhs.message, rhs.subject) }
}
