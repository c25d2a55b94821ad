/// `cairn.yaml`: the ordered environments, their policies, and where deployed state lives.
public struct RegistryConfig: Sendable, Hashable {
    public var name: String?
    /// In promotion order (e.g. dev → staging → production).
    public var environments: [Environment]
    /// `sqlite:PATH` or `postgres://...`; nil means the default `.cairn/state.sqlite`.
    public var stateURL: String?
    /// `signers:`: the allowed-signers file (git's format), relative to the registry folder, read at the same commit.
    public var signers: String?

    public init(name: String? = nil, environments: [Environment], stateURL: String? = nil, signers: String? = nil) {
        self.name = name
        self.environments = environments
        self.stateURL = stateURL
        self.signers = signers
    }

    public func environment(named name: String) -> Environment? {
        environments.first { $0.name == name }
    }

    /// The environment `name`, or an error naming those defined and the closest one.
    public func require(environment name: String) throws -> Environment {
        guard let environment = environment(named: name) else { throw CairnError.unknownEnvironment(name, defined: environments.map(\.name)) }
        return environment
    }

    /// The environment before `name` in the promotion order, if any.
    public func environment(before name: String) -> String? {
        guard let index = environments.firstIndex(where: { $0.name == name }), index > 0 else { return nil }
        return environments[index - 1].name
    }

    /// One environment and its policy.
    public struct Environment: Sendable, Hashable {
        public var name: String
        public var policy: Policy

        public init(name: String, policy: Policy = Policy()) {
            self.name = name
            self.policy = policy
        }
    }

    /// What an environment demands before anything is deployed to it.
    public struct Policy: Sendable, Hashable {
        /// Exact version pins only.
        public var isProtected = false
        public var requiredCompliance: [String] = []
        public var minApprovals = 0
        public var promoteFromPrevious = false
        public var gatesMustPass = false
        public var forbiddenRiskClasses: [String] = []
        public var freezeWindows: [FreezeWindow] = []
        /// `sync: auto`: the agent (`cairn serve --interval`) applies this environment when its plan has changes.
        public var autoSync = false
        /// Every assignment tag that declares the environment must carry an SSH signature the allowed signers accept.
        public var signedPromotions = false
        /// Principal patterns who may sign those tags (empty: any allowed signer). Naming any implies `signedPromotions`.
        public var promoters: [String] = []
        /// Principal patterns whose signed approvals count towards `minApprovals` (empty: any allowed signer).
        public var approvers: [String] = []
        /// Approvals signed by the author of the commit that introduced the version do not count.
        public var approvalsExcludeAuthor = false

        /// Whether assignment tags must verify: `signedPromotions`, or promoters named.
        public var requiresSignedAssignments: Bool { signedPromotions || !promoters.isEmpty }

        public init() {}
    }

    /// A period during which nothing is promoted or applied.
    public struct FreezeWindow: Sendable, Hashable {
        public var from: String
        public var until: String
        public var reason: String?

        public init(from: String, until: String, reason: String? = nil) {
            self.from = from
            self.until = until
            self.reason = reason
        }
    }
}

extension RegistryConfig {
    /// Whether a path cairn.yaml names (`signers:`) stays inside the registry folder: relative, with no `..` part.
    public static func isInsideRegistry(_ path: String) -> Bool {
        !path.hasPrefix("/") && !path.split(separator: "/").contains("..")
    }

    /// Whether a state URL names a PostgreSQL database (`postgres://` or `postgresql://`).
    public static func stateURLNamesPostgres(_ url: String) -> Bool {
        url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
    }

    /// Whether a state URL carries a password (`scheme://USER:PASSWORD@...` or a `password=` parameter): the one in a
    /// committed `cairn.yaml` must not, since everyone who can read the repository could read it.
    public static func stateURLCarriesPassword(_ url: String) -> Bool {
        guard let scheme = url.firstRange(of: "://") else { return false }
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        if let at = authority.lastIndex(of: "@"), authority[..<at].contains(":") { return true }
        guard let query = rest.firstIndex(of: "?") else { return false }
        return rest[rest.index(after: query)...].split(separator: "&").contains { $0.hasPrefix("password=") }
    }
}
