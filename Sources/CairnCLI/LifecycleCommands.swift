import ArgumentParser
import CairnModel
import CairnReconciler
import CairnRegistry
import CairnTrust
import Foundation

/// Options shared by the commands that write tags.
struct TagWritingOptions: ParsableArguments {
    @Option(name: .long, help: "Who is acting (default: CAIRN_ACTOR, the CI's identity, git's user.name and user.email, the login name); in the tag's actor line and the audit record.")
    var actor: String?

    @Option(name: .long, help: "Push the new tags to this remote (a name or URL); if the push fails they are deleted again.")
    var push: String?

    @Flag(name: .long, help: "Sign the tags with your SSH key, as 'git tag -s' does with gpg.format=ssh (git's user.signingKey: a key file, or a public key whose private half the SSH agent holds).")
    var sign = false

    @OptionGroup var options: ReconcileOptions

    func lifecycle() async throws -> (Lifecycle, ReconcileOptions.Context) {
        // Tag-only artifacts can be promoted in a GTO repository that has no cairn.yaml.
        let context = try await options.open(withoutConfig: true)
        var signer: SSHKeygenSigner?
        if sign {
            guard let key = try context.location.repository.configValue("user.signingKey"), !key.isEmpty else {
                throw CairnError.stateLocation(origin: "--sign", problem: "git's user.signingKey is not set",
                                               fix: "git config user.signingKey ~/.ssh/id_ed25519 (and git config gpg.format ssh, so that git tag -s signs alike)")
            }
            signer = SSHKeygenSigner(signingKey: key)
        }
        return (Lifecycle(reader: context.reconciler.reader, store: context.store, config: context.reconciler.config,
                          actor: context.actor(actor), remote: push, signer: signer, policyCommit: context.commit), context)
    }

    /// Prints what was done; a refusal exits 1, anything else that stops the command exits 2.
    func run(_ body: (Lifecycle, ReconcileOptions.Context) async throws -> Lifecycle.Outcome) async throws {
        let outcome: Lifecycle.Outcome
        do {
            let (lifecycle, context) = try await lifecycle()
            outcome = try await body(lifecycle, context)
        } catch let refusal as Lifecycle.Refusal {
            printError("refused: \(refusal)")
            throw ExitStatus.findings
        } catch let exit as ExitCode {
            throw exit
        } catch {
            printError("error: \(error)")
            throw ExitStatus.couldNotRun
        }
        for tag in outcome.tags { print("tagged \(tag)" + (push.map { " and pushed it to \($0)" } ?? "")) }
        for note in outcome.notes { print(note) }
    }
}

/// Parses `KIND/NAME@VERSION` arguments; with `anyName`, also a tag-only artifact's `NAME@VERSION` (GTO's names).
func parseVersion(_ text: String, anyName: Bool = false) throws -> ArtifactVersion {
    let unprefixed = text.replacingOccurrences(of: "@v", with: "@")
    guard let version = ArtifactVersion(unprefixed, anyName: anyName) else {
        if !anyName, let tagOnly = ArtifactVersion(unprefixed, anyName: true) { throw tagOnlyRefusal(tagOnly.id) }
        printError("error: '\(text)' is not KIND/NAME@VERSION (e.g. prompt/support-triage@1.3.0\(anyName ? ", or a GTO name: churn@1.0.0" : ""))")
        throw ExitStatus.couldNotRun
    }
    return version
}

/// Parses `KIND/NAME` arguments; with `anyName`, also a tag-only artifact's GTO name (`churn`, `models/churn`, `nn:model`).
func parseArtifactID(_ text: String, anyName: Bool = false) throws -> ArtifactID {
    guard let id = anyName ? ArtifactID.argument(text) : ArtifactID(text) else {
        if !anyName, let tagOnly = ArtifactID(gtoName: text) { throw tagOnlyRefusal(tagOnly) }
        printError("error: '\(text)' is not KIND/NAME (e.g. prompt/support-triage\(anyName ? ", or a GTO name such as churn" : ""))")
        throw ExitStatus.couldNotRun
    }
    return id
}

/// A command that needs cairn's artifact was given a GTO name with no cairn kind.
private func tagOnlyRefusal(_ id: ArtifactID) -> ExitCode {
    printError("error: '\(id)' has no cairn kind (KIND/NAME, e.g. prompt/\(id.name.split(separator: "/").last ?? "name")): it is a tag-only artifact, "
               + "which show, history, register, promote, unassign and deprecate read and write; this command works on cairn's artifacts only")
    return ExitStatus.couldNotRun
}

/// `cairn register`: annotated `@vX.Y.Z` tags for versions present at a revision and not yet registered.
struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register versions present at a revision (annotated KIND/NAME@vX.Y.Z tags at the commits that introduced them).",
        discussion: Help.text(examples: ["cairn register --all", "cairn register prompt/support-triage@1.3.0 --push origin"], exits: .done))

    @Argument(help: "Versions to register, KIND/NAME@VERSION.")
    var versions: [String] = []

    @Flag(name: .long, help: "Register every version at the revision that is not registered yet.")
    var all = false

    @OptionGroup var tagging: TagWritingOptions

    func run() async throws {
        guard all != !versions.isEmpty else {
            printError("error: name the versions to register, or pass --all")
            throw ExitStatus.couldNotRun
        }
        let parsed = try versions.map { try parseVersion($0, anyName: true) }
        try await tagging.run { lifecycle, context in try await lifecycle.register(parsed, at: context.commit) }
    }
}

/// `cairn promote`: assign a registered version to an environment, after the order, hold and policy checks.
struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "promote", abstract: "Assign a registered version to an environment (KIND/NAME#ENV#N).",
        discussion: Help.text(examples: ["cairn promote prompt/support-triage@1.3.0 --to staging", "cairn promote prompt/support-triage@1.3.1 --to production --skip-order --reason \"hotfix INC-7\""], exits: .done))

    @Argument(help: "KIND/NAME@VERSION", completion: Completion.versions)
    var version: String

    @Option(name: .long, help: "The environment.", completion: Completion.environments)
    var to: String

    @Option(name: .long, help: "A message recorded in the tag.")
    var message: String?

    @Flag(name: .long, help: "Promote even if the version is not live in the previous environment (needs --reason).")
    var skipOrder = false

    @Option(name: .long, help: "Why the order is skipped.")
    var reason: String?

    @OptionGroup var tagging: TagWritingOptions

    func run() async throws {
        let parsed = try parseVersion(version, anyName: true)
        if skipOrder, (reason ?? "").isEmpty {
            printError("error: --skip-order needs --reason")
            throw ExitStatus.couldNotRun
        }
        try await tagging.run { lifecycle, _ in try await lifecycle.promote(parsed, to: to, message: message, skipOrderReason: skipOrder ? reason : nil) }
    }
}

/// `cairn rollback`: assign the previous version again and hold the one rolled back from.
struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Assign the version an environment ran before (or --to VERSION) and hold the current one there.",
        discussion: Help.text(examples: ["cairn rollback prompt/support-triage --env production --reason \"answers in the wrong language\""], exits: .done))

    @Argument(help: "KIND/NAME", completion: Completion.artifacts)
    var artifact: String

    @Option(name: .long, help: "The environment.", completion: Completion.environments)
    var env: String

    @Option(name: .long, help: "The version to go back to (default: the one assigned before the current one).")
    var to: String?

    @Option(name: .long, help: "Why; recorded in the tags and the audit trail.")
    var reason: String?

    @OptionGroup var tagging: TagWritingOptions

    func run() async throws {
        let id = try parseArtifactID(artifact)
        let target = try to.map { text in
            guard let version = SemVer(text.hasPrefix("v") ? String(text.dropFirst()) : text) else {
                printError("error: '\(text)' is not a version")
                throw ExitStatus.couldNotRun
            }
            return version
        }
        try await tagging.run { lifecycle, _ in try await lifecycle.rollback(id, in: env, to: target, reason: reason) }
    }
}

/// The version and environment a hold is about, with the tag-writing options.
struct HoldTarget: ParsableArguments {
    @Argument(help: "KIND/NAME@VERSION", completion: Completion.versions)
    var version: String

    @Option(name: .long, help: "The environment.", completion: Completion.environments)
    var env: String

    @OptionGroup var tagging: TagWritingOptions

    /// Writes the hold (`lift` false) or its release.
    func hold(reason: String, lift: Bool) async throws {
        let parsed = try parseVersion(version)
        try await tagging.run { lifecycle, _ in try await lifecycle.hold(parsed, in: env, reason: reason, lift: lift) }
    }
}

/// `cairn hold` / `cairn release`: stop a version from being assigned to an environment, or lift that.
struct HoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hold", abstract: "Hold a version in an environment: promote and apply refuse it there.",
        discussion: Help.text(examples: ["cairn hold prompt/support-triage@1.3.1 --env production --reason \"INC-9\""], exits: .done))

    @OptionGroup var target: HoldTarget

    @Option(name: .long, help: "Why.")
    var reason: String

    func run() async throws { try await target.hold(reason: reason, lift: false) }
}

struct ReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "release", abstract: "Lift a hold on a version in an environment.",
        discussion: Help.text(examples: ["cairn release prompt/support-triage@1.3.1 --env production --reason \"fixed in INC-9\""], exits: .done))

    @OptionGroup var target: HoldTarget

    @Option(name: .long, help: "Why.")
    var reason: String = "released"

    func run() async throws { try await target.hold(reason: reason, lift: true) }
}

/// `cairn unassign`: withdraw an environment's direct assignment of an artifact (GTO's `NAME#ENV!#N`).
struct UnassignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unassign", abstract: "Withdraw an environment's assignment of an artifact (GTO's unassign tag).",
        discussion: Help.text("What the environment runs of it is then what its other assignments and its dependents say; apply prunes it when nothing needs it.", examples: ["cairn unassign prompt/sentiment-classify --env dev"], exits: .done))

    @Argument(help: "KIND/NAME", completion: Completion.artifacts)
    var artifact: String

    @Option(name: .long, help: "The environment.", completion: Completion.environments)
    var env: String

    @Option(name: .long, help: "Why (kept in the tag and the audit record).")
    var reason: String?

    @OptionGroup var tagging: TagWritingOptions

    func run() async throws {
        let id = try parseArtifactID(artifact, anyName: true)
        try await tagging.run { lifecycle, _ in try await lifecycle.unassign(id, in: env, reason: reason) }
    }
}

/// `cairn deprecate`: mark an artifact deprecated (GTO's `NAME@deprecated#N`).
struct DeprecateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deprecate", abstract: "Mark an artifact deprecated (GTO's deprecation tag); show lists it only with --deprecated.",
        discussion: Help.text(examples: ["cairn deprecate deployment/refund-bot --reason \"replaced by refund-bot-v2\""], exits: .done))

    @Argument(help: "KIND/NAME", completion: Completion.artifacts)
    var artifact: String

    @Option(name: .long, help: "Why (kept in the tag and the audit record).")
    var reason: String?

    @OptionGroup var tagging: TagWritingOptions

    func run() async throws {
        let id = try parseArtifactID(artifact, anyName: true)
        try await tagging.run { lifecycle, _ in try await lifecycle.deprecate(id, reason: reason) }
    }
}
