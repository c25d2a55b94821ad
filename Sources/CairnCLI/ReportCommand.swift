import ArgumentParser
import CairnModel
import CairnReconciler
import CairnState
import Foundation

/// `cairn report`: what ran in an environment at a moment, with its compliance metadata and provenance.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "Compliance report of an environment at a moment.",
        discussion: Help.text(examples: ["cairn report --env production --at 2026-03-03T12:00:00Z"], exits: .done))

    @Option(name: .long, help: "The environment.", completion: Completion.environments)
    var env: String

    @Option(name: .long, help: "The moment (RFC 3339, a date, or seconds since 1970; default: now).")
    var at: String?

    @Option(name: .long, help: "markdown or json.")
    var format: ReportFormat = .markdown

    enum ReportFormat: String, ExpressibleByArgument { case markdown, json }

    @OptionGroup var options: ReconcileOptions

    func run() async throws {
        let report = try await orExit {
            let moment = try at.map(parseTime) ?? Int64(Date().timeIntervalSince1970)
            let records = try await options.open(withoutConfig: true).store.auditRecords(AuditQuery(environment: env, until: moment))
            return ComplianceReport.build(environment: env, at: moment, records: records)
        }
        print(format == .json ? report.json.prettyJSON() : report.markdown)
    }
}
