import ArgumentParser
import CairnModel
import CairnReconciler
import Foundation

/// `cairn apply`: make an environment match git, atomically.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply the plan for an environment in one transaction (rows, serial and audit together).",
        discussion: Help.text(examples: ["cairn apply --env dev", "cairn plan --env production --out plan.json && cairn apply --env production plan.json"], exits: .done))

    @Option(name: .long, help: "The environment.", completion: Completion.environments)
    var env: String

    @Argument(help: "A plan saved with 'cairn plan --out'; refused if its commit or the store serial moved.")
    var planFile: String?

    @Flag(name: .long, help: "Do not ask for confirmation.")
    var autoApprove = false

    @Flag(name: .long, help: "Allow a plan that prunes everything deployed.")
    var allowEmpty = false

    @Option(name: .long, help: "Who is applying (default: CAIRN_ACTOR, the CI's identity, git's user.name and user.email, the login name).")
    var actor: String?

    @Option(name: .long, help: "How long the apply lease holds: seconds, or with s/m/h (default 60s). The apply renews it every third of that while it runs; another machine takes over once a holder stops renewing (it died or stalled), and the stalled apply is then refused at its commit.",
            transform: { try ApplyCommand.seconds($0, option: "--lease") })
    var lease: Int = Reconciler.defaultLeaseSeconds

    @OptionGroup var options: ReconcileOptions

    /// `90`, `90s`, `5m` or `1h` as seconds (at least 1).
    static func seconds(_ text: String, option: String) throws -> Int {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600]
        let unit = text.last.flatMap { units[$0] }
        guard let value = Int(unit == nil ? text : String(text.dropLast())), value > 0, value <= 86_400 * 7 / (unit ?? 1) else {
            throw ValidationError("\(option) '\(text)' is not a duration such as 60, 60s, 5m or 1h")
        }
        return value * (unit ?? 1)
    }

    func run() async throws {
        let context = try await orExit { try await options.open(environment: env) }
        var saved: Plan?
        var shown: Reconciler.Planned?
        if let planFile { saved = try await orExit { try PlanFile.read(planFile) } }
        if let saved {
            print(PlanText.render(saved))
        } else {
            // As Terraform does: the plan is always shown; a plan apply would refuse is not asked about (apply below
            // refuses it, audited); with no terminal to ask on, apply refuses at once instead of waiting.
            let planned = try await orExit { try await context.reconciler.plan(environment: env, commit: context.commit) }
            print(PlanText.render(planned.plan))
            shown = planned
            let refusal = try await orExit { try await context.reconciler.refusal(planned, allowEmpty: allowEmpty) }
            if !autoApprove, refusal == nil, planned.plan.hasChanges {
                guard isatty(STDIN_FILENO) == 1 else {
                    printError("refused: there is no terminal to ask on (stdin is not one); pass --auto-approve to apply this plan")
                    throw ExitStatus.findings
                }
                print("Apply these changes to '\(env)'? Only 'yes' is accepted: ", terminator: "")
                fflush(nil)
                guard readLine() == "yes" else {
                    printError("apply cancelled (pass --auto-approve in scripts)")
                    throw ExitStatus.findings
                }
            }
        }
        let outcome = try await orExit {
            // What was shown is what is applied: if the tags or the store moved since, apply refuses it as stale.
            try await context.reconciler.apply(environment: env, commit: context.commit, expected: saved ?? shown?.plan, actor: context.actor(actor),
                                               allowEmpty: allowEmpty, loaded: shown?.declared, leaseSeconds: lease)
        }
        switch outcome {
        case .noChanges: print("no changes: '\(env)' already matches git")
        case .applied(let serial, let actions): print("applied \(actions) change\(actions == 1 ? "" : "s") to '\(env)' (state serial \(serial))")
        }
    }
}
