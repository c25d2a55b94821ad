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
    func anchorCatchesTruncation() throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("deployment/support-bot", "dev", 1)
        _ = try fixture.apply("dev")
        let repository = fixture.reconciler.reader.location.repository
        #expect(try AuditAnchor.write(store: fixture.store, repository: repository, commit: fixture.head, actor: "auditor", now: 1_790_000_100) == "cairn-audit/8")
        #expect(try AuditAnchor.check(store: fixture.store, repository: repository) == nil)
        try TestSQL.execute(fixture.repo.path + "/.cairn/state.sqlite", "DELETE FROM audit WHERE sequence >= 7")
        #expect(try fixture.store.verifyAudit().firstBad == nil)  // the chain alone cannot see a cut tail
        #expect(try AuditAnchor.check(store: fixture.store, repository: repository)?.contains("truncated") == true)
    }

    @Test("the report shows what ran at a moment, with owner, compliance and the records that put it there")
    func reportAtMoment() throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("prompt/summarize-ticket", "dev", 1)
        _ = try fixture.reconciler.apply(environment: "dev", commit: fixture.head, expected: nil, actor: "alice", allowEmpty: false, now: 1_000)
        try fixture.assign("prompt/summarize-ticket", "dev", 2, unassign: true)
        _ = try fixture.reconciler.apply(environment: "dev", commit: fixture.head, expected: nil, actor: "bob", allowEmpty: true, now: 2_000)
        let records = try fixture.store.auditRecords(AuditQuery(environment: "dev"))
        let before = ComplianceReport.build(environment: "dev", at: 1_500, records: records)
        #expect(before.entries.map(\.artifact) == ["prompt/summarize-ticket@2.0.1"])
        #expect(before.entries.first?.snapshot["owner"] == .string("team-support"))
        #expect(before.entries.first?.snapshot["compliance"]?["riskClass"] == .string("minimal"))
        #expect(before.entries.first?.deployedBy == "alice")
        #expect(before.markdown.contains("li.wei@acme.example"))
        #expect(ComplianceReport.build(environment: "dev", at: 2_500, records: records).entries.isEmpty)
    }
}
