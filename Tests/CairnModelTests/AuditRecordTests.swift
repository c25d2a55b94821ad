import CairnModel
import Foundation
import Testing

@Suite("Audit record encoding")
struct AuditRecordTests {
    @Test("the hand-written canonical body is exactly the canonical JSON of the same fields")
    func canonicalBodyMatchesCanonicalJSON() {
        let entry = AuditDraft(time: 1_700_000_000, actor: "alice \"a\"", action: .apply, environment: "production", artifact: "prompt/x@1.0.0",
                               digest: "ab", commit: "cd", tag: "prompt/x#production#3", planSummary: "1 to create",
                               compliance: "{\"riskClass\":\"limited\"}\n\t\u{01}\\ é")
        let record = AuditRecord(sequence: 42, entry: entry, previousHash: "00", hash: "ignored")
        let reference = JSONValue.object([
            "sequence": .int(42), "time": .int(1_700_000_000), "actor": .string(record.actor), "action": .string("apply"),
            "environment": .string("production"), "artifact": .string("prompt/x@1.0.0"), "digest": .string("ab"),
            "commit": .string("cd"), "tag": .string("prompt/x#production#3"), "planSummary": .string("1 to create"),
            "compliance": .string(record.compliance), "previousHash": .string("00"),
        ]).canonicalJSON
        #expect(record.canonicalBody == reference)
    }

    @Test("sequence and time are written as canonical JSON writes integers, at the extremes too")
    func integers() {
        var random = SystemRandomNumberGenerator()
        let values: [Int64] = [0, 1, -1, 9, 10, 99, 100, Int64.max, Int64.min, Int64.min + 1, 1_700_000_000]
            + (0..<200).map { _ in Int64.random(in: Int64.min...Int64.max, using: &random) }
        for value in values {
            let record = AuditRecord(sequence: value, entry: AuditDraft(time: value &* -1, actor: "a", action: .apply, environment: "dev"),
                                     previousHash: "", hash: "")
            #expect(record.canonicalBody.contains("\"sequence\":\(value),"), "\(value)")
            #expect(record.canonicalBody.hasSuffix("\"time\":\(value &* -1)}"), "\(value)")
        }
    }

    @Test("string escaping is exact wherever the character needing it falls among the eight-byte words it scans")
    func escapingAtEveryPosition() {
        func reference(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{08}": out += "\\b"
                case "\u{0C}": out += "\\f"
                case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        for special in ["\"", "\\", "\n", "\u{01}", "\u{1F}", "\t"] {
            for length in [0, 1, 7, 8, 9, 15, 16, 17, 31] {
                for position in 0...length {
                    var characters = Array(String(repeating: "abcdé\u{7F} ~", count: 4).prefix(length)).map(String.init)
                    characters.insert(special, at: position)
                    let text = characters.joined()
                    var bytes: [UInt8] = []
                    JSONValue.appendQuoted(text, to: &bytes)
                    #expect(String(decoding: bytes, as: UTF8.self) == reference(text), "\(special.debugDescription) at \(position) of \(length)")
                }
            }
        }
    }
}
