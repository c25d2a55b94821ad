import CairnModel

/// The three forms of a semantic diff: text for a terminal, markdown for a pull-request comment, JSON for tools.
public struct DiffRendering: Sendable {
    public let diff: SemanticDiff
    /// The revisions as the user named them.
    public let base: String
    public let head: String

    public init(diff: SemanticDiff, base: String, head: String) {
        (self.diff, self.base, self.head) = (diff, base, head)
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

    public func text() -> String {
        guard !diff.entries.isEmpty else { return "no artifact changed between \(base) and \(head)" }
        return diff.entries.map { entry in
            ([headline(entry)] + entry.fields.flatMap(describe).map { "    " + $0 }).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    public func markdown() -> String {
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

    public func json() -> JSONValue {
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
