import CairnModel
import CairnReconciler
import CairnState
import CairnTestSupport
import Foundation
import Git2
import Testing

@Suite("Audit anchors and compliance reports")
struct AuditReportTests {
    @Test("an anchor in git makes a truncated tail detectable")
    func anchorCatchesTruncation() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("deployment/support-bot", "dev", 1)
        _ = try await fixture.apply("dev")
        let repository = fixture.reconciler.reader.location.repository
        #expect(try await AuditAnchor.write(store: fixture.store, repository: repository, commit: fixture.head, actor: "auditor", now: 1_790_000_100) == "cairn-audit/8")
        #expect(try await AuditAnchor.check(store: fixture.store, repository: repository).problem == nil)
        try TestSQL.execute(fixture.repo.path + "/.cairn/state.sqlite", "DELETE FROM audit WHERE sequence >= 7")
        #expect(try await fixture.store.verifyAudit().firstBad == nil)  // the chain alone cannot see a cut tail
        #expect(try await AuditAnchor.check(store: fixture.store, repository: repository).problem?.contains("truncated") == true)
    }

    @Test("an anchor that cannot be used is reported, not ignored: lightweight, without a hash line, or with a bad hash",
          arguments: [(nil, "lightweight"), ("cairn audit anchor\nsequence: 3\n", "no 'hash:' line"),
                      ("cairn audit anchor\nhash: zz\n", "not a SHA-256"), ("cairn audit anchor\nsequence: 4\nhash: \(String(repeating: "a", count: 64))\n", "not 3")])
    func unusableAnchors(message: String?, expected: String) async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("deployment/support-bot", "dev", 1)
        _ = try await fixture.apply("dev")
        if let message {
            try fixture.repo.tag("cairn-audit/3", message: message)
        } else {
            try fixture.repo.git(["tag", "cairn-audit/3"])
        }
        let check = try await AuditAnchor.check(store: fixture.store, repository: fixture.reconciler.reader.location.repository)
        #expect(check.problem?.contains(expected) == true)
        #expect(check.problem?.contains("retire-anchor 3") == true)
    }

    @Test("a forged anchor is retired with a tag and an audit record, after which verify passes and names the retirement")
    func retireForgedAnchor() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("deployment/support-bot", "dev", 1)
        _ = try await fixture.apply("dev")
        let repository = fixture.reconciler.reader.location.repository
        try fixture.repo.tag("cairn-audit/999", message: AnchorTag.anchorMessage(sequence: 999, hash: String(repeating: "0", count: 64)))
        #expect(try await AuditAnchor.check(store: fixture.store, repository: repository).problem?.contains("truncated") == true)
        let name = try await AuditAnchor.retire(sequence: 999, reason: "forged by a test", store: fixture.store, repository: repository,
                                          commit: fixture.head, actor: "auditor", now: 1_790_000_200)
        #expect(name == "cairn-audit-retired/999")
        let check = try await AuditAnchor.check(store: fixture.store, repository: repository)
        #expect(check.problem == nil)
        #expect(check.retired == ["cairn-audit/999 retired by auditor: forged by a test"])
        #expect(try await fixture.store.auditRecords(AuditQuery()).last?.action == "retire-anchor")
        #expect(try await fixture.store.verifyAudit().firstBad == nil)
        await #expect(throws: (any Error).self) {
            try await AuditAnchor.retire(sequence: 999, reason: "again", store: fixture.store, repository: repository, commit: fixture.head,
                                   actor: "auditor", now: 1_790_000_300)
        }
        await #expect(throws: (any Error).self) {
            try await AuditAnchor.retire(sequence: 5, reason: "no such anchor", store: fixture.store, repository: repository, commit: fixture.head,
                                   actor: "auditor", now: 1_790_000_300)
        }
    }

    @Test("the report shows what ran at a moment, with owner, compliance and the records that put it there")
    func reportAtMoment() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("prompt/summarize-ticket", "dev", 1)
        _ = try await fixture.reconciler.apply(environment: "dev", commit: fixture.head, expected: nil, actor: "alice", allowEmpty: false, now: 1_000)
        try fixture.assign("prompt/summarize-ticket", "dev", 2, unassign: true)
        _ = try await fixture.reconciler.apply(environment: "dev", commit: fixture.head, expected: nil, actor: "bob", allowEmpty: true, now: 2_000)
        let records = try await fixture.store.auditRecords(AuditQuery(environment: "dev"))
        let before = ComplianceReport.build(environment: "dev", at: 1_500, records: records)
        #expect(before.entries.map(\.artifact) == ["prompt/summarize-ticket@2.0.1"])
        #expect(before.entries.first?.snapshot["owner"] == .string("team-support"))
        #expect(before.entries.first?.snapshot["compliance"]?["riskClass"] == .string("minimal"))
        #expect(before.entries.first?.deployedBy == "alice")
        #expect(before.markdown.contains("| prompt/summarize-ticket@2.0.1 | team-support | minimal | Apache-2.0 | confidential | yes: customer-name |"))
        #expect(ComplianceReport.build(environment: "dev", at: 2_500, records: records).entries.isEmpty)
    }
}
