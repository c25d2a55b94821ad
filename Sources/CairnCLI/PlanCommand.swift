import ArgumentParser
import CairnModel
import CairnReconciler
import Foundation

/// `cairn plan`: what would an apply change in an environment?
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what git declares for an environment against what is deployed there.",
        discussion: Help.text("Exit status: 0 no changes, 2 changes, 1 error (Terraform's -detailed-exitcode).", examples: ["cairn plan --env dev", "cairn plan --env production --ref origin/main --out plan.json"], exits: .plan))

    @Option(name: .long, help: "The environment.", completion: Completion.environments)
    var env: String

    @Option(name: .long, help: "Save the plan to FILE for 'cairn apply --env ENV FILE'.")
    var out: String?

    @Option(name: .long, help: "text or json.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "Say on stderr how the declared state was read (cached, incremental, full) and how long it took.")
    var verbose = false

    @OptionGroup var options: ReconcileOptions

    func run() async throws {
        let started = Date()
        let planned = try await orExit(ExitStatus.planFailed) {
            let context = try await options.open()
            return try await context.reconciler.plan(environment: env, commit: context.commit, sinceLastPlan: true)
        }
        let plan = planned.plan
        if verbose {
            let milliseconds = Int(Date().timeIntervalSince(started) * 1000)
            let compared = switch planned.comparison {
            case .everyRow: "every deployed row"
            case .sinceLastPlan(let artifacts): "\(artifacts) artifact\(artifacts == 1 ? "" : "s") changed since the last plan"
            }
            let count = planned.declaredCount()
            printError("declared state: \(planned.resolution) (\(count) artifact\(count == 1 ? "" : "s")); compared \(compared); planned in \(milliseconds) ms")
        }
        if let out {
            try await orExit(ExitStatus.planFailed) { try Data(PlanFile.encode(plan).utf8).write(to: URL(fileURLWithPath: out)) }
        }
        switch format {
        case .json: print(PlanFile.encode(plan))
        case .text: print(PlanText.render(plan))
        }
        if !plan.problems.isEmpty { throw ExitStatus.planFailed }
        if plan.hasChanges { throw ExitStatus.planChanges }
    }
}

/// The text form of a plan.
enum PlanText {
    static func render(_ plan: Plan) -> String {
        var lines = ["Plan for '\(plan.environment)' at \(plan.commit.prefix(7)) (state serial \(plan.serial)):"]
        lines += plan.actions.map { "  \($0)" }
        if plan.actions.isEmpty { lines.append("  no changes: what is deployed matches git") }
        lines += plan.problems.map { "  problem: \($0)" }
        lines.append(plan.summary)
        return lines.joined(separator: "\n")
    }
}
