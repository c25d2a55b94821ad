import CairnManifest
import CairnModel
import CairnTestSupport
import Foundation
import Testing

/// `JSONValue.parse(json:)`, cairn's own JSON reader, against Foundation's decoder as the oracle.
struct JSONParseTests {
    /// What Foundation's decoder makes of `text` (the way `parse` was written before): trying each type in turn.
    static func oracle(_ text: String) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }

    static func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(json: Data(text.utf8)) }

    @Test func agreesWithFoundationOnValidDocuments() throws {
        let documents = [
            "1.0", "1e2", "-0", "-0.0", "0", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
            "123456789012345678901234567890", "0.1e-2", "1E+2", "3.25", "-12.5e-3", "true", "false", "null", "\"\"",
            #""\ud83d\ude00 caf\u00e9 \"q\" \\ \/ \b\f\n\r\t""#, "\"ünïcödé ✓ 😀\"", "[]", "{}", " [ 1 , 2 ,3 ] ",
            #"{"a": {"b": [null, true, {"c": "d"}]}, "e": -1}"#, "\u{FEFF}[1]", #"{"a":1,"a":2}"#, "\n\t{\"x\" :\r\n 2}\n",
            #"{"variables": {"subject": "Late order", "body": "Where is my parcel?", "n": 3, "f": 2.5, "list": [1, "a"]}}"#,
        ]
        for text in documents {
            #expect(try Self.parse(text) == Self.oracle(text), "\(text)")
        }
    }

    @Test func randomDocumentsReadAsFoundationReadsThem() throws {
        var random = SeededGenerator(state: 7)
        for _ in 0..<400 {
            let value = Self.randomValue(&random, depth: 0)
            let compact = value.canonicalJSON
            #expect(try Self.parse(compact) == value, "\(compact)")
            #expect(try Self.parse(compact) == Self.oracle(compact), "\(compact)")
            let pretty = value.prettyJSON()
            #expect(try Self.parse(pretty) == Self.oracle(pretty), "\(pretty)")
        }
    }

    @Test func refusesWhatIsNotJSONSayingWhere() {
        let cases: [(String, String)] = [
            ("", "the text ends where a value should be at line 1, column 1"),
            ("[1,]", "unexpected character at line 1, column 4"),
            ("{\"a\":1,}", "expected a member name in quotes at line 1, column 8"),
            ("[1]\n x", "unexpected text after the value at line 2, column 2"),
            ("01", "a number starts with 0 at line 1, column 1"),
            ("1.", "a number needs digits after '.' at line 1, column 1"),
            ("-", "a number needs digits at line 1, column 1"),
            ("1e", "a number needs digits in its exponent at line 1, column 1"),
            ("1e999", "a number too large at line 1, column 1"),
            ("\"a\tb\"", "a control character in a string (escape it) at line 1, column 3"),
            ("\"abc", "a string is not closed at line 1, column 1"),
            (#""\ud83d""#, "a lone surrogate in a \\u escape at line 1, column 2"),
            (#""\ude00""#, "a lone surrogate in a \\u escape at line 1, column 2"),
            (#""\u12g4""#, "\\u needs four hex digits at line 1, column 4"),
            (#""\u+123""#, "\\u needs four hex digits at line 1, column 4"),
            (#""\x""#, "an unknown escape '\\x' at line 1, column 2"),
            ("nul", "unexpected character at line 1, column 1"),
            ("{\"a\" 1}", "expected ':' after a member name at line 1, column 6"),
            ("{\"a\":1 \"b\":2}", "expected ',' or '}' in an object at line 1, column 8"),
            ("[1 2]", "expected ',' or ']' in an array at line 1, column 4"),
            ("'a'", "unexpected character at line 1, column 1"),
        ]
        for (text, message) in cases {
            let error = #expect(throws: InputFileError.self, "\(text)") { try Self.parse(text) }
            #expect(error?.description == "not valid JSON: " + message, "\(text)")
        }
        #expect(throws: InputFileError.self) { try JSONValue.parse(json: Data([0x22, 0xC3, 0x28, 0x22])) }  // not UTF-8
    }

    /// Hostile nesting is refused at the limit, in time linear in the input (no recursion past 512).
    @Test func refusesDeepNesting() throws {
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        let error = #expect(throws: InputFileError.self) { try Self.parse(deep) }
        #expect(error?.description == "not valid JSON: nesting deeper than 512 at line 1, column 513")
        let allowed = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(try Self.parse(allowed) != .null)
        let objects = String(repeating: "{\"a\":", count: 600) + "1" + String(repeating: "}", count: 600)
        #expect(throws: InputFileError.self) { try Self.parse(objects) }
    }

    /// Damaged documents never crash the reader, and whatever it accepts is valid JSON by Foundation's reading too.
    @Test func damagedDocumentsFailCleanly() throws {
        var random = SeededGenerator(state: 11)
        for _ in 0..<300 {
            var bytes = Array(Self.randomValue(&random, depth: 0).canonicalJSON.utf8)
            for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.remove(at: index)
                default: bytes.insert(Array("{}[]\",:\\-.e0".utf8).randomElement(using: &random)!, at: index)
                }
            }
            if let value = try? JSONValue.parse(json: Data(bytes)) {
                #expect(try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) == value, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }

    static func randomValue(_ random: inout SeededGenerator, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 6 : 8), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .int(Int.random(in: Int.min...Int.max, using: &random) >> Int.random(in: 0...63, using: &random))
        case 3: return .number(Double(Int.random(in: -1_000_000...1_000_000, using: &random)) / 64 + 0.015625)
        case 4, 5: return .string(randomText(&random))
        case 6: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) { members[randomText(&random)] = randomValue(&random, depth: depth + 1) }
            return .object(members)
        }
    }

    static func randomText(_ random: inout SeededGenerator) -> String {
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{01}", "é", "✓", "😀", "{", "}", "\u{7F}"]
        return String((0..<Int.random(in: 0...8, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
    }
}
