import ArgumentParser
import Foundation

/// The `cairn` command: a GitOps registry for LLM artifacts.
public struct Cairn: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cairn",
        abstract: "A GitOps registry for LLM artifacts: prompts, chains, adapters, datasets and deployments in git.",
        version: "0.1.0",
        subcommands: [Validate.self, Render.self, Init.self, PlanCommand.self, ApplyCommand.self, StatusCommand.self,
                      GetCommand.self, AuditCommand.self, ReportCommand.self, UnlockCommand.self, ShowCommand.self, HistoryCommand.self,
                      RegisterCommand.self, PromoteCommand.self, RollbackCommand.self, HoldCommand.self, ReleaseCommand.self,
                      DiffCommand.self, CheckCommand.self, HooksCommand.self]
    )

    public init() {}
}

/// Options every command that reads a registry shares.
struct RegistryOptions: ParsableArguments {
    @Option(name: .long, help: "A folder inside the git repository (default: the current folder).")
    var repo: String = "."

    @Option(name: .long, help: "The registry folder inside the repository, e.g. registry-example (default: the repository root).")
    var path: String?
}

/// Exit codes shared by the commands: 0 fine, 1 findings, 2 could not run.
enum ExitStatus {
    static let findings = ExitCode(1)
    static let couldNotRun = ExitCode(2)
}

/// Prints a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
