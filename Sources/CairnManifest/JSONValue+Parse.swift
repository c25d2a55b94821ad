import CairnModel
import Foundation

extension JSONValue {
    /// Parses JSON text (RFC 8259; a leading byte-order mark is skipped); a failure says what is wrong and where, in
    /// one line. Numbers that are whole and fit an `Int` are `.int` (`1.0` and `1e2` too, as Foundation's decoder made
    /// them), other numbers `.number`; of a key given twice, the first value counts. Nesting deeper than 512 is refused.
    ///
    /// A parser of its own, one pass over the bytes: `JSONDecoder` can decode a value of unknown type only by trying
    /// each type in turn, and each failed try builds an error with its description (sixteen of them for a two-variable
    /// render request, most of its parsing time).
    public static func parse(json data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { bytes in
            var parser = JSONParser(bytes: bytes.bindMemory(to: UInt8.self))
            return try parser.document()
        }
    }
}

private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var offset = 0
    var depth = 0
    static let maximumDepth = 512

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { offset = 3 }
    }

    mutating func document() throws -> JSONValue {
        let value = try self.value()
        skipSpace()
        guard offset == bytes.count else { throw failure("unexpected text after the value") }
        return value
    }

    /// The error for the position `at` (default: the current one), with its line and column.
    func failure(_ what: String, at position: Int? = nil) -> InputFileError {
        let position = min(position ?? offset, bytes.count)
        let before = bytes[..<position]
        let line = before.count { $0 == UInt8(ascii: "\n") } + 1
        let column = position - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
        return InputFileError("not valid JSON: \(what) at line \(line), column \(column)")
    }

    mutating func skipSpace() {
        while offset < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) { offset += 1 }
    }

    mutating func value() throws -> JSONValue {
        skipSpace()
        guard offset < bytes.count else { throw failure("the text ends where a value should be") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try nested { try $0.object() }
        case UInt8(ascii: "["): return try nested { try $0.array() }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw failure("unexpected character")
        }
    }

    mutating func nested(_ body: (inout JSONParser) throws -> JSONValue) throws -> JSONValue {
        depth += 1
        guard depth <= Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth)") }
        defer { depth -= 1 }
        return try body(&self)
    }

    mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard bytes.count - offset >= count, bytes[offset..<offset + count].elementsEqual(UnsafeBufferPointer(start: word.utf8Start, count: count)) else {
            throw failure("unexpected character")
        }
        offset += count
    }

    /// Consumes `byte` (after white space) if it is next.
    mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    mutating func object() throws -> JSONValue {
        offset += 1
        var members: [String: JSONValue] = [:]
        if take(UInt8(ascii: "}")) { return .object(members) }
        repeat {
            skipSpace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw failure("expected a member name in quotes") }
            let key = try string()
            guard take(UInt8(ascii: ":")) else { throw failure("expected ':' after a member name") }
            let value = try self.value()
            if members[key] == nil { members[key] = value }
        } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "}")) else { throw failure("expected ',' or '}' in an object") }
        return .object(members)
    }

    mutating func array() throws -> JSONValue {
        offset += 1
        var items: [JSONValue] = []
        if take(UInt8(ascii: "]")) { return .array(items) }
        repeat { items.append(try value()) } while take(UInt8(ascii: ","))
        guard take(UInt8(ascii: "]")) else { throw failure("expected ',' or ']' in an array") }
        return .array(items)
    }

    mutating func string() throws -> String {
        let start = offset
        offset += 1
        var decoded: [UInt8] = []
        var escaped = false
        var runStart = offset
        while true {
            guard offset < bytes.count else { throw failure("a string is not closed", at: start) }
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") { break }
            guard byte >= 0x20 else { throw failure("a control character in a string (escape it)") }
            guard byte == UInt8(ascii: "\\") else { offset += 1; continue }
            escaped = true
            decoded += bytes[runStart..<offset]
            offset += 1
            guard offset < bytes.count else { throw failure("a string is not closed", at: start) }
            let escape = bytes[offset]
            offset += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"): decoded += String(try unicodeEscape()).utf8
            default: throw failure("an unknown escape '\\\(Character(Unicode.Scalar(escape)))'", at: offset - 2)
            }
            runStart = offset
        }
        let end = offset
        offset += 1
        guard escaped else {
            return try utf8(UnsafeBufferPointer(rebasing: bytes[start + 1..<end]), at: start)
        }
        decoded += bytes[runStart..<end]
        return try decoded.withUnsafeBufferPointer { try utf8($0, at: start) }
    }

    func utf8(_ buffer: UnsafeBufferPointer<UInt8>, at start: Int) throws -> String {
        guard let text = String(validating: buffer, as: UTF8.self) else { throw failure("a string is not valid UTF-8", at: start) }
        return text
    }

    /// After `\u`: four hex digits, or a surrogate pair of two escapes.
    mutating func unicodeEscape() throws -> Character {
        let first = try hex4()
        if let scalar = Unicode.Scalar(first) { return Character(scalar) }
        guard (0xD800..<0xDC00).contains(first), bytes.count - offset >= 2, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
            throw failure("a lone surrogate in a \\u escape", at: offset - 6)
        }
        offset += 2
        let second = try hex4()
        guard (0xDC00..<0xE000).contains(second), let scalar = Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)) else {
            throw failure("a lone surrogate in a \\u escape", at: offset - 12)
        }
        return Character(scalar)
    }

    mutating func hex4() throws -> UInt32 {
        guard bytes.count - offset >= 4, let pair = [UInt8](hexString: String(decoding: bytes[offset..<offset + 4], as: UTF8.self)) else {
            throw failure("\\u needs four hex digits")
        }
        offset += 4
        return UInt32(pair[0]) << 8 | UInt32(pair[1])
    }

    mutating func number() throws -> JSONValue {
        let start = offset
        func digits() -> Int {
            let from = offset
            while offset < bytes.count, UInt8(ascii: "0")...UInt8(ascii: "9") ~= bytes[offset] { offset += 1 }
            return offset - from
        }
        if bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let integerStart = offset
        guard digits() > 0 else { throw failure("a number needs digits", at: start) }
        guard bytes[integerStart] != UInt8(ascii: "0") || offset - integerStart == 1 else { throw failure("a number starts with 0", at: start) }
        var whole = true
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            whole = false
            guard digits() > 0 else { throw failure("a number needs digits after '.'", at: start) }
        }
        if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
            offset += 1
            whole = false
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard digits() > 0 else { throw failure("a number needs digits in its exponent", at: start) }
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        if whole, let integer = Int(text) { return .int(integer) }
        guard let number = Double(text), number.isFinite else { throw failure("a number too large", at: start) }
        if let integer = Int(exactly: number) { return .int(integer) }
        return .number(number)
    }
}
