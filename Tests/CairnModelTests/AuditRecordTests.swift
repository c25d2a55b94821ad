import CairnModel
import Testing

@Suite("Audit record encoding")
struct AuditRecordTests {
    @Test("the hand-written canonical body is exactly the canonical JSON of the same fields")
    func canonicalBodyMatchesCanonicalJSON() {
        let record = AuditRecord(sequence: 42, time: 1_700_000_000, actor: "alice \"a\"", action: "apply", environment: "production",
                                 artifact: "prompt/x@1.0.0", digest: "ab", commit: "cd", tag: "prompt/x#production#3",
                                 planSummary: "1 to create", compliance: "{\"riskClass\":\"limited\"}\n\t\u{01}\\ é", previousHash: "00", hash: "ignored")
        let reference = JSONValue.object([
            "sequence": .int(42), "time": .int(1_700_000_000), "actor": .string(record.actor), "action": .string("apply"),
            "environment": .string("production"), "artifact": .string("prompt/x@1.0.0"), "digest": .string("ab"),
            "commit": .string("cd"), "tag": .string("prompt/x#production#3"), "planSummary": .string("1 to create"),
            "compliance": .string(record.compliance), "previousHash": .string("00"),
        ]).canonicalJSON
        #expect(record.canonicalBody == reference)
    }
}
