import ArgumentParser
import CairnModel
import CairnReconciler
import CairnState
import Foundation

/// `cairn status`: what is deployed in an environment, from where, by whom, and whether it drifted.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show what is deployed in an environment.",
        discussion: Help.text(examples: ["cairn status --env production"], exits: .done))

    @Option(name: .long, help: "The environment.", completion: Completion.environments)
    var env: String

    @Option(name: .long, help: "text or json.")
    var format: OutputFormat = .text

    @OptionGroup var options: ReconcileOptions

    func run() async throws {
        let (rows, serial, evidence, reconciliations) = try await orExit {
            let context = try await options.open()
            let rows = try await context.store.deployed(environment: env, content: false)
            try await context.requireEnvironment(env) { !rows.isEmpty }
            // Where the policy reads signatures or evidence, what each deployment relied on (from the audit trail).
            let policy = context.reconciler.config.environment(named: env)?.policy
            let readsEvidence = policy.map { $0.requiresSignedAssignments || $0.minApprovals > 0 || $0.gatesMustPass } ?? false
            let evidence = readsEvidence ? try await ComplianceReport.evidence(environment: env, store: context.store) : [:]
            let reconciliations = try await context.store.reconciliations(environment: env, limit: Reconciliation.kept)
            return (rows, try await context.store.serial(environment: env), evidence, reconciliations)
        }
        switch format {
        case .json:
            print(JSONValue.object([
                "environment": .string(env), "serial": .int(serial),
                "deployed": .array(rows.map { row in
                    .object([
                        "artifact": .string(row.artifact.version.description), "digest": .string("sha256:" + row.artifact.digest),
                        "commit": .string(row.artifact.commit), "tag": .string(row.artifact.tag), "deployedBy": .string(row.artifact.deployedBy),
                        "deployedAt": .string(Timestamp.text(row.artifact.deployedAt)), "drifted": .bool(row.drifted),
                        "evidence": evidence[row.artifact.version.description] ?? .null,
                    ])
                }),
                "reconciliations": .array(reconciliations.map(\.json)),
            ]).prettyJSON())
        case .text:
            print("'\(env)' at state serial \(serial): \(rows.count) artifact\(rows.count == 1 ? "" : "s")")
            // The agents' last reconciliation (cairn serve), and the last failure or refusal when that is not it.
            if let last = reconciliations.first {
                print("  agent: " + last.summary)
                if last.result != .failed && last.result != .refused,
                   let trouble = reconciliations.first(where: { $0.result == .failed || $0.result == .refused }) {
                    print("  agent, last trouble: " + trouble.summary)
                }
            }
            for row in rows {
                let artifact = row.artifact
                print("  \(artifact.version)  \(artifact.commit.prefix(7))  \(artifact.tag)  by \(artifact.deployedBy) at \(Timestamp.text(artifact.deployedAt))"
                      + (row.drifted ? "  DRIFTED: changed outside cairn; the next apply repairs it" : ""))
                if let relied = evidence[artifact.version.description] { print("      " + ComplianceReport.evidenceSummary(relied)) }
            }
        }
    }
}
