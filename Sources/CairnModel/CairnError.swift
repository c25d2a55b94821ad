/// Why a cairn command could not do what it was asked, with what is known (path, position, artifact, version, ref,
/// environment) and, where there is one, what to do. Refusals by rule or policy are their own types (plan and
/// policy refusals); these are the errors that stop a command from running at all, and every command exits 2 on
/// them (the README's exit-code table).
public enum CairnError: Error, Sendable, Hashable, CustomStringConvertible {
    // Where the registry is.
    case noRepository(directory: String, cause: String)
    case unresolvableRevision(String, cause: String)
    /// HEAD names no commit: nothing was committed yet.
    case noCommitYet
    case notAFolder(path: String, commit: String?)
    case noSuchPath(String)
    case bareRepository(option: String)
    case invalidConfig(ref: String)
    case unknownEnvironment(String, defined: [String])

    // Files and documents.
    /// A file that does not parse, at `line`:`column` (1-based).
    case unreadableFile(path: String, line: Int, column: Int, message: String)
    case undecodable(ArtifactVersion)
    /// A file cairn would write is there already; nothing was written.
    case fileExists(path: String, fix: String)

    // Versions and tags.
    case invalidRegistry(commit: String, errors: Int)
    case notInRegistry(ArtifactVersion, commit: String, versionsHere: [String], checkedTags: Bool)
    /// `registered` are the artifact's registered versions (there is at least one: an artifact with none is unknown).
    case notRegistered(ArtifactVersion, registered: [String])
    case deregistered(ArtifactVersion)
    case immutableVersion(ArtifactVersion, tag: String, commit: String)
    case counterExhausted(ArtifactID, highest: Int, largest: Int)
    case nothingToRollBack(ArtifactID, environment: String)
    case alreadyRunning(ArtifactVersion, environment: String)
    case noEarlierVersion(ArtifactID, environment: String, before: SemVer)
    case targetOnHold(ArtifactVersion, environment: String, hold: String)

    // Deployed state and the audit trail.
    case notDeployed(ArtifactID, environment: String, deployed: [String])
    /// An artifact no tag and no deployed row names; `known` are the artifacts that exist.
    case unknownArtifact(String, known: [String])
    /// A state location (`--state`, `CAIRN_STATE_URL`, `git config cairn.state` or `state.url`) cairn cannot use.
    case stateLocation(origin: String, problem: String, fix: String?)
    /// serve's local copy of `--remote`.
    case mirror(directory: String, problem: String, fix: String)
    /// The file system refused: `operation` on `path`.
    case fileSystem(operation: String, path: String, cause: String)
    case noSuchAnchor(String)
    case alreadyRetired(anchor: String, retirement: String)
    case missingReason(command: String)

    /// An argument that names nothing cairn has.
    case unknownName(kind: String, name: String, known: [String])

    /// What went wrong.
    public var problem: String {
        switch self {
        case .noRepository(let directory, let cause): "no git repository at or above '\(directory)' (\(cause))"
        case .unresolvableRevision(let revision, let cause): "cannot resolve '\(revision)' to a commit (\(cause))"
        case .noCommitYet: "the repository has no commit yet: cairn reads the registry from commits"
        case .notAFolder(let path, let commit): "'\(path)' is not a folder" + (commit.map { " at commit \($0)" } ?? "")
        case .noSuchPath(let path): "'\(path)' does not exist"
        case .bareRepository(let option): "\(option) needs a repository with a working tree; this one is bare"
        case .invalidConfig(let ref): "no valid cairn.yaml at \(ref)"
        case .unknownEnvironment(let name, let defined):
            "environment '\(name)' is not defined in cairn.yaml (defined: \(defined.joined(separator: ", ")))" + Suggestion.hint(for: name, in: defined)
        case .unreadableFile(let path, let line, let column, let message): "\(path):\(line):\(column): \(message)"
        case .undecodable(let version): "\(version) does not validate"
        case .fileExists(let path, _): "\(path) exists"
        case .invalidRegistry(let commit, let errors):
            "the registry at \(commit) has \(errors) validation error\(errors == 1 ? "" : "s")"
        case .notInRegistry(let version, let commit, let here, let checkedTags):
            "\(version) is not in the registry at \(commit)\(checkedTags ? " nor registered by tag" : "")"
                + (here.isEmpty ? "" : "; versions here: \(here.joined(separator: ", "))")
        case .notRegistered(let version, let registered): "\(version) is not registered (registered: \(registered.joined(separator: ", ")))"
        case .deregistered(let version): "\(version) was deregistered"
        case .immutableVersion(let version, let tag, let commit): "\(version) is registered (\(tag) at \(commit)) with other content"
        case .counterExhausted(let id, let highest, let largest):
            "\(id) already has a tag with counter \(highest), the largest cairn reads (\(largest))"
        case .nothingToRollBack(let id, let environment): "\(id) has no registered version assigned to '\(environment)'"
        case .alreadyRunning(let version, let environment): "\(version) is what '\(environment)' runs already"
        case .noEarlierVersion(let id, let environment, let before): "'\(environment)' ran no other live version of \(id) before \(before)"
        case .targetOnHold(let version, let environment, let hold): "\(version) is itself on hold in '\(environment)' (\(hold))"
        case .notDeployed(let id, let environment, let deployed):
            "\(id) is not deployed in '\(environment)'" + (Suggestion.closest(to: id.description, in: deployed).map { "; did you mean \($0)?" } ?? "")
        case .unknownArtifact(let name, let known):
            "no tag names \(name)" + (Suggestion.closest(to: name, in: known).map { "; did you mean \($0)?" } ?? "")
        case .stateLocation(let origin, let problem, _): "\(origin): \(problem)"
        case .mirror(let directory, let problem, _): "mirror \(directory): \(problem)"
        case .fileSystem(let operation, let path, let cause): "cannot \(operation) \(path)" + (cause.isEmpty ? "" : ": \(cause)")
        case .noSuchAnchor(let name): "there is no anchor \(name) to retire"
        case .alreadyRetired(let anchor, let retirement): "\(anchor) is already retired (\(retirement))"
        case .missingReason(let command): "\(command) needs a --reason"
        case .unknownName(let kind, let name, let known): "no \(kind) named '\(name)'; cairn has \(known.joined(separator: ", "))"
        }
    }

    /// What to do about it, when cairn can say.
    public var fix: String? {
        switch self {
        case .unresolvableRevision: "pass a branch, tag or commit id with --ref"
        case .noCommitYet: "commit it (git add -A && git commit -m registry), or validate the working tree with 'cairn validate --worktree'"
        case .invalidConfig(let ref): "run 'cairn validate --ref \(ref)'"
        case .undecodable: "run 'cairn validate' to see why"
        case .fileExists(_, let fix): fix
        case .invalidRegistry(let commit, _): "run 'cairn validate --ref \(commit)'"
        case .notRegistered(let version, _): "commit it, then run 'cairn register \(version)'"
        case .immutableVersion: "registered versions are immutable, so bump the version"
        case .counterExhausted: "no further tag can be ordered after it"
        case .nothingToRollBack: "nothing to roll back"
        case .noEarlierVersion: "name one with --to"
        case .targetOnHold: "release it first or pick another version"
        case .stateLocation(_, _, let fix): fix
        case .mirror(_, _, let fix): fix
        default: nil
        }
    }

    public var description: String { fix.map { "\(problem); \($0)" } ?? problem }
}
