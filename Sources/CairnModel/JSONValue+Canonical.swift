/// Canonical JSON: object keys sorted by their UTF-16 code units (as RFC 8785), no insignificant whitespace.
extension JSONValue {
    /// The canonical text; two documents that differ only in YAML formatting have the same canonical form.
    public var canonicalJSON: String {
        var out = ""
        appendCanonical(to: &out)
        return out
    }

    /// Pretty JSON with sorted keys, for people.
    public func prettyJSON(indent: String = "  ") -> String {
        var out = ""
        appendPretty(to: &out, level: 0, indent: indent)
        return out
    }

    private func appendCanonical(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .int(let value): out += String(value)
        case .number(let value): out += Self.format(value)
        case .string(let text): Self.appendQuoted(text, to: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.appendCanonical(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, key) in Self.sortedKeys(members).enumerated() {
                if index > 0 { out += "," }
                Self.appendQuoted(key, to: &out)
                out += ":"
                members[key]!.appendCanonical(to: &out)
            }
            out += "}"
        }
    }

    private func appendPretty(to out: inout String, level: Int, indent: String) {
        let pad = String(repeating: indent, count: level + 1)
        let closing = String(repeating: indent, count: level)
        switch self {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += pad
                item.appendPretty(to: &out, level: level + 1, indent: indent)
                out += index < items.count - 1 ? ",\n" : "\n"
            }
            out += closing + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            let keys = Self.sortedKeys(members)
            for (index, key) in keys.enumerated() {
                out += pad
                Self.appendQuoted(key, to: &out)
                out += ": "
                members[key]!.appendPretty(to: &out, level: level + 1, indent: indent)
                out += index < keys.count - 1 ? ",\n" : "\n"
            }
            out += closing + "}"
        default:
            appendCanonical(to: &out)
        }
    }

    static func sortedKeys(_ members: [String: JSONValue]) -> [String] {
        members.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
    }

    /// Shortest round-trip form; integral values print without a fraction (`2.0` → `2`).
    public static func format(_ value: Double) -> String {
        if value.isFinite, value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// Appends `text` as a JSON string literal.
    public static func appendQuoted(_ text: String, to out: inout String) {
        // Most strings need no escaping: copy them whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += "\""
            out += text
            out += "\""
            return
        }
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// `text` as a JSON string literal.
    public static func quoted(_ text: String) -> String {
        var out = ""
        appendQuoted(text, to: &out)
        return out
    }
}
