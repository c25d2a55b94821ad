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
        discussion: "--path limits the diff to a folder of the registry. --format markdown is ready to paste as a pull-request comment.")

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
        print(DiffRendering(diff: diff, base: base, head: head).render(format))
    }
}

/// `cairn check BASE HEAD`: the pull-request gate, one line per violation.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "The pull-request gate: exit 1 with one line per violation of the versioning rules.")

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
            print(JSONValue.object([
                "ok": .bool(check.violations.isEmpty),
                "violations": .array(check.violations.map { .object(["rule": .string($0.rule), "message": .string($0.message)]) }),
            ]).prettyJSON())
        case .text:
            for violation in check.violations { print(violation) }
            if check.violations.isEmpty { print("ok: \(check.diff.entries.count) artifact\(check.diff.entries.count == 1 ? "" : "s") changed, no violations") }
        }
        if !check.violations.isEmpty { throw ExitStatus.findings }
    }
}

/// The three forms of a semantic diff.
struct DiffRendering {
    let diff: SemanticDiff
    let base: String
    let head: String

    func render(_ format: DiffFormat) -> String {
        switch format {
        case .text: text()
        case .markdown: markdown()
        case .json: json().prettyJSON()
        }
    }

    static func value(_ value: JSONValue?) -> String {
        guard let value else { return "(none)" }
        if let text = value.stringValue, !text.contains("\n") { return text }
        return value.canonicalJSON
    }

    func headline(_ entry: SemanticDiff.Entry) -> String {
        switch entry.change {
        case .added: "+ \(entry.id) \(entry.to!) (added)"
        case .removed: "- \(entry.id) \(entry.from!) (removed)"
        case .versionBumped: "~ \(entry.id) \(entry.from!) → \(entry.to!)"
        case .changed: "~ \(entry.id) \(entry.to!) (content changed, version not bumped)"
        }
    }

    /// One field as a line (and, for text, its line diff below).
    func describe(_ field: SemanticDiff.Field) -> [String] {
        switch field.category {
        case .text:
            return ["\(field.path):"] + field.lines.filter { !$0.hasPrefix(" ") }.map { "  " + $0 }
        case .variable, .input:
            let noun = field.category == .variable ? "variable" : "input"
            if field.before == nil { return ["\(field.path): \(noun) added \(Self.value(field.after))"] }
            if field.after == nil { return ["\(field.path): \(noun) removed"] }
            return ["\(field.path): \(Self.value(field.before)) → \(Self.value(field.after))"]
        case .reference:
            return ["\(field.path): re-pinned \(Self.value(field.before)) → \(Self.value(field.after))"]
        case .model, .compliance, .field:
            return ["\(field.path): \(Self.value(field.before)) → \(Self.value(field.after))"]
        }
    }

    func text() -> String {
        guard !diff.entries.isEmpty else { return "no artifact changed between \(base) and \(head)" }
        return diff.entries.map { entry in
            ([headline(entry)] + entry.fields.flatMap(describe).map { "    " + $0 }).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    func markdown() -> String {
        var out = "### cairn diff `\(base)`…`\(head)`\n\n"
        guard !diff.entries.isEmpty else { return out + "No artifact changed (formatting-only edits are not changes).\n" }
        out += "| artifact | change | version |\n|---|---|---|\n"
        for entry in diff.entries {
            let version = [entry.from?.description, entry.to?.description].compactMap { $0 }.joined(separator: " → ")
            out += "| `\(entry.id)` | \(entry.change.rawValue) | \(version) |\n"
        }
        for entry in diff.entries where !entry.fields.isEmpty {
            out += "\n<details><summary><code>\(entry.id)</code>: \(entry.fields.count) field\(entry.fields.count == 1 ? "" : "s")</summary>\n\n"
            for field in entry.fields {
                if field.category == .text {
                    out += "`\(field.path)`\n\n```diff\n" + field.lines.joined(separator: "\n") + "\n```\n\n"
                } else {
                    out += "- " + describe(field).joined().replacingOccurrences(of: field.path + ":", with: "`\(field.path)`:") + "\n"
                }
            }
            out += "\n</details>\n"
        }
        return out
    }

    func json() -> JSONValue {
        .object([
            "base": .string(base), "head": .string(head),
            "artifacts": .array(diff.entries.map { entry in
                .object([
                    "artifact": .string(entry.id.description), "change": .string(entry.change.rawValue), "path": .string(entry.path),
                    "from": entry.from.map { .string($0.description) } ?? .null, "to": entry.to.map { .string($0.description) } ?? .null,
                    "fields": .array(entry.fields.map { field in
                        .object([
                            "path": .string(field.path), "category": .string(field.category.rawValue),
                            "before": field.before ?? .null, "after": field.after ?? .null,
                            "lines": .array(field.lines.map(JSONValue.string)),
                        ])
                    }),
                ])
            }),
        ])
    }
}
