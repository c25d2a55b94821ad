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
            for (index, member) in Self.sortedMembers(members).enumerated() {
                if index > 0 { out += "," }
                Self.appendQuoted(member.key, to: &out)
                out += ":"
                member.value.appendCanonical(to: &out)
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

    /// Keys in UTF-16 code-unit order. ASCII keys (nearly all) sort with `<`, which orders them by their bytes and is
    /// the standard library's fast path; other keys need the UTF-16 comparison.
    static func sortedKeys(_ members: [String: JSONValue]) -> [String] {
        sortedMembers(members).map(\.key)
    }

    /// Members in key order, with their values (no second lookup per key).
    static func sortedMembers(_ members: [String: JSONValue]) -> [(key: String, value: JSONValue)] {
        if members.keys.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) { return members.sorted { $0.key < $1.key } }
        return members.sorted { utf16Precedes($0.key, $1.key) }
    }

    /// Whether `a` sorts before `b` by UTF-16 code units, as canonical JSON orders keys. UTF-8 bytes order the same
    /// way up to the first pair of differing bytes that are both lead bytes of U+E000 or above (where UTF-16's
    /// surrogates sort supplementary characters first), so the bytes decide unless they reach such a pair.
    public static func utf16Precedes(_ a: String, _ b: String) -> Bool {
        let byBytes: Bool?? = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y -> Bool? in
                let count = min(x.count, y.count)
                var index = 0
                while index < count && x[index] == y[index] { index += 1 }
                if index == count { return x.count < y.count }
                if x[index] < 0xEE || y[index] < 0xEE { return x[index] < y[index] }
                return nil
            } ?? nil
        }
        return (byBytes ?? nil) ?? a.utf16.lexicographicallyPrecedes(b.utf16)
    }

    /// Shortest round-trip form; integral values print without a fraction (`2.0` → `2`).
    public static func format(_ value: Double) -> String {
        if value.isFinite, value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// Appends `text` as a JSON string literal.
    public static func appendQuoted(_ text: String, to out: inout String) {
        // Most strings need no escaping: copy them whole.
        if !text.utf8.contains(where: needsEscape) {
            out += "\""
            out += text
            out += "\""
            return
        }
        var bytes: [UInt8] = []
        appendQuoted(text, to: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `text` as a JSON string literal in UTF-8.
    public static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendQuoted(utf8: $0, to: &out) }
    }

    /// Appends UTF-8 `bytes` as a JSON string literal. Only `"`, `\` and control characters are escaped; control
    /// characters are single bytes in UTF-8, so escaping byte by byte is exact.
    public static func appendQuoted(utf8 bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.reserveCapacity(out.count + bytes.count + 2)
        out.append(UInt8(ascii: "\""))
        var start = 0
        var index = 0
        while index < bytes.count {
            // Eight bytes at a time while none of them needs escaping (most text has nothing to escape).
            while index + 8 <= bytes.count, !Self.anyNeedsEscape(UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)) {
                index += 8
            }
            guard index < bytes.count else { break }
            let byte = bytes[index]
            index += 1
            guard needsEscape(byte) else { continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index - 1]))
            start = index
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "t"))
            case 0x08: out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "f"))
            default:
                let digits: StaticString = "0123456789abcdef"
                out.append(UInt8(ascii: "u"))
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "0"))
                out.append(digits.utf8Start[Int(byte >> 4)])
                out.append(digits.utf8Start[Int(byte & 0x0f)])
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        out.append(UInt8(ascii: "\""))
    }

    /// Whether any byte of `word` is a control character, `"` or a backslash (bitwise tests on all eight bytes at once).
    @inline(__always)
    private static func anyNeedsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ value: UInt64) -> Bool { (value &- ones) & ~value & highs != 0 }
        let control = (word &- 0x2020_2020_2020_2020) & ~word & highs != 0
        return control || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// `text` as a JSON string literal.
    public static func quoted(_ text: String) -> String {
        var out = ""
        appendQuoted(text, to: &out)
        return out
    }
}
