import ArgumentParser
import CairnModel
import CairnReconciler
import Foundation

/// `cairn apply`: make an environment match git, atomically.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply the plan for an environment in one transaction (rows, serial and audit together).")

    @Option(name: .long, help: "The environment.")
    var env: String

    @Argument(help: "A plan saved with 'cairn plan --out'; refused if its commit or the store serial moved.")
    var planFile: String?

    @Flag(name: .long, help: "Do not ask for confirmation.")
    var autoApprove = false

    @Flag(name: .long, help: "Allow a plan that prunes everything deployed.")
    var allowEmpty = false

    @Option(name: .long, help: "Who is applying (default: CAIRN_ACTOR, else the login name).")
    var actor: String?

    @OptionGroup var options: ReconcileOptions

    func run() async throws {
        let context = try await orExit { try options.open() }
        var saved: Plan?
        if let planFile { saved = try await orExit { try PlanFile.read(planFile) } }
        if saved == nil && !autoApprove {
            let plan = try await orExit { try await context.reconciler.plan(environment: env, commit: context.commit).plan }
            print(PlanText.render(plan))
            guard plan.hasChanges else { return }
            print("Apply these changes to '\(env)'? Only 'yes' is accepted: ", terminator: "")
            guard readLine() == "yes" else {
                printError("apply cancelled (pass --auto-approve in scripts)")
                throw ExitStatus.findings
            }
        }
        let outcome = try await orExit {
            try await context.reconciler.apply(environment: env, commit: context.commit, expected: saved, actor: resolveActor(actor), allowEmpty: allowEmpty)
        }
        switch outcome {
        case .noChanges: print("no changes: '\(env)' already matches git")
        case .applied(let serial, let actions): print("applied \(actions) change\(actions == 1 ? "" : "s") to '\(env)' (state serial \(serial))")
        }
    }
}
