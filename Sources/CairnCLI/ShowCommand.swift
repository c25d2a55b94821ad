import ArgumentParser
import CairnModel
import CairnReconciler
import CairnRegistry
import Foundation
import Git2

/// Opens the registry's tags: the ledger, with the environments of `cairn.yaml` at HEAD listed first when it reads.
func openLedger(_ options: RegistryOptions) throws -> (ledger: TagLedger, reader: RegistryReader) {
    let location = try RegistryLocation.open(directory: options.repo, path: options.path)
    let reader = RegistryReader(location: location)
    let configured = (try? location.commit("HEAD")).flatMap { try? reader.config(at: $0).config }?.environments.map(\.name) ?? []
    return (TagLedger(try reader.tagEvents(), configured: configured), reader)
}

/// `cairn show`: every artifact's latest version and the version each environment runs, read from tags (`gto show`).
struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show every artifact's latest version and what each environment runs, from the tags.",
        discussion: "With KIND/NAME, show that artifact's registered versions. The JSON of the whole registry has the shape of 'gto show --json'.")

    @Argument(help: "One artifact, KIND/NAME.")
    var artifact: String?

    @Option(name: .long, help: "text or json.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "Include deprecated artifacts.")
    var deprecated = false

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        let ledger = try await orExit { try openLedger(registry).ledger }
        if let artifact {
            try showVersions(of: try parseArtifactID(artifact), ledger)
            return
        }
        let rows = ledger.rows.filter { $0.active || deprecated }
        switch format {
        case .json:
            var object: [String: JSONValue] = [:]
            for row in rows {
                object[row.id.description] = .object([
                    "version": row.latest.map { .string("v\($0.version)") } ?? .null,
                    "stage": .object(Dictionary(uniqueKeysWithValues: ledger.environments.map { ($0, Self.stageValue(row.environments[$0])) })),
                    "registered": .bool(true),
                    "active": .bool(row.active),
                ])
            }
            print(JSONValue.object(object).prettyJSON())
        case .text:
            let header = ["name", "latest"] + ledger.environments.map { "#" + $0 }
            let lines = rows.map { row in
                [row.id.description, row.latest.map { "v\($0.version)" } ?? "-"]
                    + ledger.environments.map { Self.stageValue(row.environments[$0]).stringValue ?? "-" }
            }
            printTable([header] + lines)
        }
    }

    /// What `gto show` prints for an environment: the version, the commit of an unregistered assignment, or null.
    static func stageValue(_ current: EnvironmentAssignments.Current?) -> JSONValue {
        switch current {
        case .registered(let assignment)?: .string("v\(assignment.version.version)")
        case .unregistered(let commit, _)?: .string(commit.hex)
        case nil: .null
        }
    }

    private func showVersions(of id: ArtifactID, _ ledger: TagLedger) throws {
        let history = ledger.history(of: id)
        let registrations = history.filter { $0.kind == .registration }
        guard let row = ledger.rows.first(where: { $0.id == id }) else {
            printError("error: no tags for \(id)")
            throw ExitStatus.findings
        }
        let deregistered = Set(history.filter { $0.kind == .deregistration }.compactMap(\.version))
        let versions = registrations.sorted { SemVer(String($0.version!.dropFirst()))! > SemVer(String($1.version!.dropFirst()))! }
        func environments(_ version: String?) -> [String] {
            ledger.environments.filter { Self.stageValue(row.environments[$0]).stringValue == version }
        }
        switch format {
        case .json:
            print(JSONValue.array(versions.map { entry in
                .object([
                    "artifact": .string(id.description), "version": .string(entry.version!),
                    "registered": .bool(!deregistered.contains(entry.version!)),
                    "environments": .array(environments(entry.version).map(JSONValue.string)),
                    "commit": .string(entry.event.commit.hex), "tag": .string(entry.event.name),
                    "author": .string(entry.event.tagger?.name ?? ""), "author_email": .string(entry.event.tagger?.email ?? ""),
                    "created_at": .string(Timestamp.text(entry.event.time)),
                ])
            }).prettyJSON())
        case .text:
            printTable([["version", "environments", "commit", "registered by", "at"]] + versions.map { entry in
                [entry.version! + (deregistered.contains(entry.version!) ? " (deregistered)" : ""),
                 environments(entry.version).joined(separator: ", "), entry.event.commit.short,
                 entry.event.tagger?.name ?? "", Timestamp.text(entry.event.time)]
            })
        }
    }
}

/// `cairn history`: registrations, promotions, rollbacks and holds, oldest first, with who, when, commit and message.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show what the tags record, oldest first.")

    @Argument(help: "One artifact, KIND/NAME.")
    var artifact: String?

    @Option(name: .long, help: "Only events about this environment.")
    var env: String?

    @Option(name: .long, help: "text or json.")
    var format: OutputFormat = .text

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        let id = try artifact.map(parseArtifactID)
        let entries = try await orExit { try openLedger(registry).ledger.history(of: id, environment: env) }
        switch format {
        case .json:
            print(JSONValue.array(entries.map { entry in
                .object([
                    "timestamp": .string(Timestamp.text(entry.event.time)), "artifact": .string(entry.artifact.description),
                    "event": .string(entry.kind.rawValue), "version": entry.version.map(JSONValue.string) ?? .null,
                    "stage": entry.environment.map(JSONValue.string) ?? .null, "commit": .string(entry.event.commit.hex),
                    "author": .string(entry.event.tagger?.name ?? ""), "author_email": .string(entry.event.tagger?.email ?? ""),
                    "message": .string(entry.event.message), "ref": .string(entry.event.name),
                ])
            }).prettyJSON())
        case .text:
            for entry in entries {
                let what = [entry.version, entry.environment.map { "→ " + $0 }].compactMap { $0 }.joined(separator: " ")
                let message = entry.event.message.split(separator: "\n").first.map { "  \"\($0)\"" } ?? ""
                print("\(Timestamp.text(entry.event.time))  \(padded(entry.kind.rawValue, to: 14)) "
                      + "\(entry.artifact) \(what)  by \(entry.event.tagger?.name ?? "?")  commit \(entry.event.commit.short)\(message)")
            }
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
