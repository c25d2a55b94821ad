import ArgumentParser
import CairnModel
import CairnReconciler
import CairnRegistry
import Foundation
import Git2

/// Opens the registry's tags (`RegistryReader.ledger`).
func openLedger(_ options: RegistryOptions) throws -> (ledger: TagLedger, reader: RegistryReader) {
    let reader = RegistryReader(location: try RegistryLocation.open(directory: options.repo, path: options.path))
    return (try reader.ledger(), reader)
}

/// `cairn show`: every artifact's latest version and the version each environment runs, read from tags (`gto show`).
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show every artifact's latest version and what each environment runs, from the tags.",
        discussion: Help.text("With KIND/NAME, show that artifact's registered versions. The JSON of the whole registry has the shape of 'gto show --json'.", examples: ["cairn show", "cairn show prompt/support-triage", "cairn show --format json"], exits: .done))

    @Argument(help: "One artifact, KIND/NAME (or any name GTO's tags use).", completion: Completion.artifacts)
    var artifact: String?

    @Option(name: .long, help: "text or json.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "Include deprecated artifacts.")
    var deprecated = false

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        let ledger = try await orExit { try openLedger(registry).ledger }
        if let artifact {
            let id = try parseArtifactID(artifact, anyName: true)
            try await orExit { try showVersions(of: id, ledger) }
            return
        }
        let rows = ledger.shown(includingDeprecated: deprecated)
        switch format {
        case .json:
            print(ledger.showJSON(rows).prettyJSON())
        case .text:
            let header = ["name", "latest"] + ledger.environments.map { "#" + $0 }
            let lines = rows.map { row in
                // GTO marks an artifact no tag names yet with a star.
                [(row.registered ? "" : "*") + row.id.description, row.latest.map { "v\($0.version)" } ?? "-"]
                    + ledger.environments.map { TagLedger.stage(row.environments[$0]).stringValue ?? "-" }
            }
            printTable([header] + lines)
        }
    }

    private func showVersions(of id: ArtifactID, _ ledger: TagLedger) throws {
        guard let versions = ledger.versions(of: id) else { throw ledger.unknown(id) }
        switch format {
        case .json:
            print(TagLedger.versionsJSON(versions, of: id).prettyJSON())
        case .text:
            if let annotation = ledger.rows.first(where: { $0.id == id })?.annotation {
                let lines = [("type", annotation.type), ("path", annotation.path), ("description", annotation.description),
                             ("labels", annotation.labels.isEmpty ? nil : annotation.labels.joined(separator: ", "))]
                for case let (name, value?) in lines { print("\(name): \(value)") }
                print("")
            }
            printTable([["version", "environments", "commit", "registered by", "at"]] + versions.map { entry in
                [entry.version + (entry.isRegistered ? "" : " (deregistered)"), entry.environments.joined(separator: ", "),
                 entry.event.commit.short, entry.event.tagger?.name ?? "", Timestamp.text(entry.event.time)]
            })
        }
    }
}

/// `cairn history`: registrations, promotions, rollbacks and holds, oldest first, with who, when, commit and message.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show what the tags record, oldest first.",
        discussion: Help.text(examples: ["cairn history prompt/support-triage", "cairn history --env production --format json"], exits: .done))

    @Argument(help: "One artifact, KIND/NAME (or any name GTO's tags use).", completion: Completion.artifacts)
    var artifact: String?

    @Option(name: .long, help: "Only events about this environment.", completion: Completion.environments)
    var env: String?

    @Option(name: .long, help: "text or json.")
    var format: OutputFormat = .text

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        let id = try artifact.map { try parseArtifactID($0, anyName: true) }
        let (entries, evidence, verdicts) = try await orExit {
            let (ledger, reader) = try openLedger(registry)
            if let id, !ledger.rows.contains(where: { $0.id == id }) { throw ledger.unknown(id) }
            if let env, !ledger.namedEnvironments.contains(env) { throw CairnError.unknownEnvironment(env, defined: ledger.namedEnvironments.sorted()) }
            let entries = ledger.history(of: id, environment: env)
            // Evaluations and approvals recorded about its versions (approvals for another environment left out with --env).
            let evidence = try reader.evidence(about: id).values.joined().filter { record in
                env == nil || record.statement.approval.map { $0.environment == nil || $0.environment == env } ?? false
            }
            // With an allowed-signers file, who signed each tag (judged now).
            let head = try? reader.location.commit("HEAD")
            let tags = entries.compactMap { entry in entry.event.object.map { (entry.event.name, $0) } } + evidence.map { ($0.name, $0.object) }
            let verdicts = try head.flatMap { try reader.signatureVerdicts(of: tags, at: $0, now: Int64(Date().timeIntervalSince1970)) }
            return (entries, Array(evidence), verdicts)
        }
        switch format {
        case .json:
            print(TagLedger.historyJSON(entries, evidence: evidence, signatures: verdicts?.mapValues(\.json)).prettyJSON())
        case .text:
            let lines: [(Int64, String)] = entries.map { entry in
                let what = [entry.version, entry.environment.map { "→ " + $0 }].compactMap { $0 }.joined(separator: " ")
                let message = entry.event.message.split(separator: "\n").first.map { "  \"\($0)\"" } ?? ""
                let signed = verdicts?[entry.event.name].map { "  [\($0.summary)]" } ?? ""
                return (entry.event.time, "\(Timestamp.text(entry.event.time))  \(padded(entry.kind.rawValue, to: 14)) "
                        + "\(entry.artifact) \(what)  by \(entry.event.tagger?.name ?? "?")  commit \(entry.event.commit.short)\(message)\(signed)")
            }
            let recorded: [(Int64, String)] = evidence.map { record in
                let signed = verdicts?[record.name].map { "  [\($0.summary)]" } ?? ""
                let what = record.statement.evaluation.map { "\($0.metric)=\(JSONValue.format($0.value))" + ($0.dataset.map { " on \($0.name)" } ?? "") }
                    ?? record.statement.approval.map { $0.environment.map { "for \($0)" } ?? "for any environment" } ?? ""
                return (record.time, "\(Timestamp.text(record.time))  \(padded(record.tag.kind == .evaluation ? "evaluation" : "approval", to: 14)) "
                        + "\(record.tag.version.id) v\(record.tag.version.version) \(what)  by \(record.tagger?.name ?? "?")  \(record.name)\(signed)")
            }
            for line in TagLedger.merged(lines, recorded) { print(line) }
        }
    }
}

/// `text` followed by spaces up to `width` characters (by hand: Foundation's padding bridges through NSString, a cost
/// at 10,000 rows).
func padded(_ text: String, to width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
}

/// Prints rows as left-aligned columns.
func printTable(_ rows: [[String]]) {
    guard let first = rows.first else { return }
    let widths = (0..<first.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
        var line = ""
        for (column, (cell, width)) in zip(row, widths).enumerated() {
            if column > 0 { line += "  " }
            line += column < row.count - 1 ? padded(cell, to: width) : cell
        }
        while line.last == " " { line.removeLast() }
        print(line)
    }
}
