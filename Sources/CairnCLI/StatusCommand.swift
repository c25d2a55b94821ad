import ArgumentParser
import CairnModel
import CairnReconciler
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
        let (rows, serial, evidence) = try await orExit {
            let context = try await options.open()
            let rows = try await context.store.deployed(environment: env, content: false)
            try await context.requireEnvironment(env) { !rows.isEmpty }
            // Where the policy reads signatures or evidence, what each deployment relied on (from the audit trail).
            let policy = context.reconciler.config.environment(named: env)?.policy
            let readsEvidence = policy.map { $0.requiresSignedAssignments || $0.minApprovals > 0 || $0.gatesMustPass } ?? false
            let evidence = readsEvidence ? try await ComplianceReport.evidence(environment: env, store: context.store) : [:]
            return (rows, try await context.store.serial(environment: env), evidence)
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
            ]).prettyJSON())
        case .text:
            print("'\(env)' at state serial \(serial): \(rows.count) artifact\(rows.count == 1 ? "" : "s")")
            for row in rows {
                let artifact = row.artifact
                print("  \(artifact.version)  \(artifact.commit.prefix(7))  \(artifact.tag)  by \(artifact.deployedBy) at \(Timestamp.text(artifact.deployedAt))"
                      + (row.drifted ? "  DRIFTED: changed outside cairn; the next apply repairs it" : ""))
                if let relied = evidence[artifact.version.description] { print("      " + ComplianceReport.evidenceSummary(relied)) }
            }
        }
    }
}
