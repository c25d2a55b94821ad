import CairnManifest
import CairnModel

/// Fills a prompt template's `{{variables}}` from supplied values and declared defaults.
public enum PromptRenderer {
    /// The result: a text prompt, or chat messages.
    public enum Rendered: Sendable, Equatable {
        case text(String)
        case chat([(role: String, content: String)])

        public static func == (lhs: Rendered, rhs: Rendered) -> Bool {
            switch (lhs, rhs) {
            case (.text(let left), .text(let right)): left == right
            case (.chat(let left), .chat(let right)): left.map { [$0.role, $0.content] } == right.map { [$0.role, $0.content] }
            default: false
            }
        }

        /// Text as is; chat as a JSON array of {role, content}.
        public var output: String {
            switch self {
            case .text(let text): return text
            case .chat(let messages):
                return JSONValue.array(messages.map { .object(["role": .string($0.role), "content": .string($0.content)]) }).prettyJSON()
            }
        }
    }

    /// Why rendering failed; the message names the variable. `missing` is set when a required variable was not given
    /// (the command line then says how to pass it).
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var missing: String? = nil
        public var description: String { message }
    }

    /// A prompt with its templates split into pieces: made once, rendered many times (the server keeps one per
    /// deployed prompt).
    public struct Prepared: Sendable {
        public let spec: PromptTemplateSpec
        let text: [TemplateText.Piece]
        let messages: [(role: String, pieces: [TemplateText.Piece])]

        public init(_ spec: PromptTemplateSpec) {
            self.spec = spec
            text = spec.type == .text ? TemplateText.pieces(spec.template ?? "") : []
            messages = spec.type == .chat ? (spec.messages ?? []).map { ($0.role, TemplateText.pieces($0.content)) } : []
        }
    }

    /// Renders a prompt with `values` given as text (from `--var k=v`) or typed (from a vars file).
    public static func render(_ prompt: PromptTemplateSpec, values: [String: JSONValue]) throws(Failure) -> Rendered {
        try render(Prepared(prompt), values: values)
    }

    public static func render(_ prepared: Prepared, values: [String: JSONValue]) throws(Failure) -> Rendered {
        let prompt = prepared.spec
        let declared = prompt.variables ?? []
        let names = Set(declared.map(\.name))
        if let unknown = values.keys.sorted().first(where: { !names.contains($0) }) {
            let known = names.sorted().joined(separator: ", ")
            throw Failure(message: "unknown variable '\(unknown)'; this prompt declares: \(known.isEmpty ? "(none)" : known)")
        }
        var resolved: [String: String] = [:]
        for variable in declared {
            let name = variable.name
            let type = variable.type ?? "string"
            var value = values[name] ?? variable.default
            if case .string(let text)? = value, type != "string" { value = coerce(text, to: type) ?? value }
            guard let value else {
                if variable.isRequired { throw Failure(message: "missing required variable '\(name)'", missing: name) }
                resolved[name] = ""
                continue
            }
            guard JSONSchemaSet.matches(value, type: type) else {
                throw Failure(message: "variable '\(name)' must be \(type), got \(value.canonicalJSON)")
            }
            if let allowed = variable.enum, !allowed.contains(where: { $0.jsonEquals(value) }) {
                throw Failure(message: "variable '\(name)' must be one of \(allowed.map(\.canonicalJSON).joined(separator: ", ")), got \(value.canonicalJSON)")
            }
            let text = value.stringValue ?? value.canonicalJSON
            if let limit = variable.maxLength, text.count > limit {
                throw Failure(message: "variable '\(name)' is \(text.count) characters long; at most \(limit) allowed")
            }
            resolved[name] = text
        }
        func fill(_ pieces: [TemplateText.Piece]) -> String {
            var filled = ""
            for piece in pieces {
                switch piece {
                case .text(let text), .malformed(let text, _): filled += text
                case .variable(let name, _): filled += resolved[name] ?? ""
                }
            }
            return filled
        }
        switch prompt.type {
        case .text: return .text(fill(prepared.text))
        case .chat: return .chat(prepared.messages.map { (role: $0.role, content: fill($0.pieces)) })
        }
    }

    private static func coerce(_ text: String, to type: String) -> JSONValue? {
        switch type {
        case "integer": Int(text).map(JSONValue.int)
        case "number": Int(text).map(JSONValue.int) ?? Double(text).map(JSONValue.number)
        case "boolean": text == "true" ? .bool(true) : text == "false" ? .bool(false) : nil
        default: nil
        }
    }
}
