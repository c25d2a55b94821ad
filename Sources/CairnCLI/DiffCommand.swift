import ArgumentParser
import CairnModel
import CairnRegistry
import Foundation

enum DiffFormat: String, ExpressibleByArgument, CaseIterable {
    case text, markdown, json
}

/// `cairn diff BASE HEAD`: what a change does to each artifact, field by field.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two revisions, artifact by artifact (formatting-only edits are not changes).",
        discussion: Help.text("--path limits the diff to a folder of the registry. --format markdown is ready to paste as a pull-request comment.", examples: ["cairn diff main HEAD", "cairn diff origin/main HEAD --format markdown"], exits: .done))

    @Argument(help: "The base revision.") var base: String
    @Argument(help: "The head revision.") var head: String
    @Option(name: .long, help: "text, markdown or json.") var format: DiffFormat = .text
    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        let diff = try await orExit {
            let location = try RegistryLocation.open(directory: registry.repo, path: registry.path)
            let reader = RegistryReader(location: location)
            return try SemanticDiff(base: try reader.artifacts(at: try location.commit(base)), head: try reader.artifacts(at: try location.commit(head))) {
                try reader.document(blob: $0.blob, path: $0.path)
            }
        }
        let rendering = DiffRendering(diff: diff, base: base, head: head)
        switch format {
        case .text: print(rendering.text())
        case .markdown: print(rendering.markdown())
        case .json: print(rendering.json().prettyJSON())
        }
    }
}

/// `cairn check BASE HEAD`: the pull-request gate, one line per violation.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "The pull-request gate: exit 1 with one line per violation of the versioning rules.",
        discussion: Help.text(examples: ["cairn check origin/main HEAD", "cairn check main HEAD --format json"], exits: .findings))

    @Argument(help: "The base revision.") var base: String
    @Argument(help: "The head revision.") var head: String
    @Option(name: .long, help: "text or json.") var format: OutputFormat = .text
    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        let check = try await orExit {
            let location = try RegistryLocation.open(directory: registry.repo, path: registry.path)
            return try PullRequestCheck(reader: RegistryReader(location: location), base: try location.commit(base), head: try location.commit(head))
        }
        switch format {
        case .json:
            print(check.json.prettyJSON())
        case .text:
            for violation in check.violations { print(violation) }
            if check.violations.isEmpty { print("ok: \(check.diff.entries.count) artifact\(check.diff.entries.count == 1 ? "" : "s") changed, no violations") }
        }
        if !check.violations.isEmpty { throw ExitStatus.findings }
    }
}
