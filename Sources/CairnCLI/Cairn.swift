import ArgumentParser
import CairnReconciler
import CairnRegistry
import CairnState
import Foundation

/// The `cairn` command: a GitOps registry for LLM artifacts.
public struct Cairn: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "A GitOps registry for LLM artifacts: prompts, chains, adapters, datasets and deployments in git.",
        version: "0.1.0",
        subcommands: [Validate.self, Render.self, Init.self, PlanCommand.self, ApplyCommand.self, StatusCommand.self,
                      GetCommand.self, AuditCommand.self, ReportCommand.self, UnlockCommand.self, ShowCommand.self, HistoryCommand.self,
                      RegisterCommand.self, PromoteCommand.self, RollbackCommand.self, HoldCommand.self, ReleaseCommand.self,
                      UnassignCommand.self, DeprecateCommand.self, BumpCommand.self, SchemasCommand.self, VersionCommand.self,
                      DiffCommand.self, CheckCommand.self, HooksCommand.self, StateCommand.self, ServeCommand.self, ExportCommand.self,
                      EvidenceCommand.self, ApproveCommand.self]
    )

    public init() {}

    /// Parses the command line and runs the command, asynchronously. (Called as `Cairn.main()`, the overload
    /// resolution picks ParsableCommand's synchronous entry, which refuses an asynchronous root.)
    public static func runFromCommandLine() async {
        let command: any AsyncParsableCommand.Type = Cairn.self
        await command.main(nil)
    }
}

/// Options every command that reads a registry shares.
struct RegistryOptions: ParsableArguments {
    @Option(name: .long, help: "A folder inside the git repository (default: the current folder).")
    var repo: String = "."

    @Option(name: .long, help: "The registry folder inside the repository, e.g. registry-example (default: the repository root).")
    var path: String?
}

/// The one exit-code map (README, "Exit codes"). Every command: 0 done, 1 findings or a refusal (a rule, a policy, a
/// stale plan, a held lease), 2 could not run (no repository, a bad ref or argument, an unreadable store or file).
/// `plan` alone follows Terraform's `-detailed-exitcode`: 0 no changes, 2 changes, 1 anything that went wrong.
enum ExitStatus {
    static let findings = ExitCode(1)
    static let couldNotRun = ExitCode(2)
    static let planChanges = ExitCode(2)
    static let planFailed = ExitCode(1)

    /// The status an error ends a command with.
    static func of(_ error: any Error) -> ExitCode {
        switch error {
        case let exit as ExitCode: exit
        case is Reconciler.Refusal, is Lifecycle.Refusal, is PolicyEngine.Refusal, is PromptRenderer.Failure: findings
        case let state as StateError:
            switch state {
            case .staleSerial, .leaseHeld, .noSuchLease, .leaseLost: findings
            case .storage, .newerSchema: couldNotRun
            }
        default: couldNotRun
        }
    }
}

/// Prints a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
