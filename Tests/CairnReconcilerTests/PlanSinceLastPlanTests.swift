import CairnModel
import CairnReconciler
@testable import CairnRegistry
import CairnState
import CairnTestSupport
import Foundation
import GRDB
import Testing

@Suite("Plans built on the last plan")
struct PlanSinceLastPlanTests {
    /// Random assignments, unassignments, applies and edits of the store behind cairn's back (drift, deleted and
    /// foreign rows). After each, a plan that may build on the last one must equal a plan that compares every row.
    @Test("after any sequence of promotions, applies and edits of the store, a plan built on the last equals a full one",
          arguments: [UInt64(11), 12, 13])
    func matchesFullPlan(seed: UInt64) async throws {
        var random = SeededGenerator(state: seed)
        let fixture = try ReconcilerFixture()
        let ids = try await fixture.plan("dev").actions.map(\.id)  // nothing assigned yet
        #expect(ids.isEmpty)
        let location = try RegistryLocation.open(directory: fixture.repo.path, path: "registry")
        let all = try RegistryReader(location: location, cache: ValidationCache(fingerprint: "t")).read(.commit(fixture.head)).artifacts.map(\.summary.id)
        let database = try DatabaseQueue(path: fixture.store.path)
        var counters: [ArtifactID: Int] = [:]
        var built = 0
        for step in 0..<60 {
            let id = all.randomElement(using: &random)!
            switch Int.random(in: 0..<16, using: &random) {
            case 0..<6:
                counters[id, default: 0] += 1
                try fixture.assign(id.description, "dev", counters[id]!)
            case 6, 7:
                counters[id, default: 0] += 1
                try fixture.assign(id.description, "dev", counters[id]!, unassign: true)
            case 8..<11:
                _ = try? await fixture.apply("dev", allowEmpty: true)
            case 11:
                try await database.write { try $0.execute(sql: "UPDATE deployed SET content = content || ' ' WHERE rowid IN (SELECT rowid FROM deployed ORDER BY random() LIMIT 1)") }
            case 12:
                try await database.write { try $0.execute(sql: "DELETE FROM deployed WHERE rowid IN (SELECT rowid FROM deployed ORDER BY random() LIMIT 1)") }
            case 13:
                try await database.write { try $0.execute(sql: "UPDATE deployed SET version = '0.0.1' WHERE rowid IN (SELECT rowid FROM deployed ORDER BY random() LIMIT 1)") }
            case 14:
                try await database.write {
                    try $0.execute(sql: """
                        INSERT OR IGNORE INTO deployed SELECT environment, kind, 'foreign-\(step)', version, digest, content, source_commit, tag, deployed_by, deployed_at
                        FROM deployed LIMIT 1
                        """)
                }
            default:
                break  // plan again with nothing changed
            }
            if Bool.random(using: &random) { try fixture.repo.settleTagFolders() }
            let quick = try await fixture.reconciler.plan(environment: "dev", commit: fixture.head, sinceLastPlan: true)
            let full = try await fixture.reconciler.plan(environment: "dev", commit: fixture.head)
            if case .sinceLastPlan = quick.comparison { built += 1 }
            #expect(full.comparison == .everyRow)
            #expect(quick.plan == full.plan, "seed \(seed), step \(step)")
        }
        #expect(built >= 10, "plans built on the last \(built) times")
    }

    @Test("a plan builds on the last only while the store's serial and rows are as that plan saw them")
    func buildsOnlyOnAnUnchangedStore() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("deployment/support-bot", "dev", 1)
        func quick() async throws -> (plan: Plan, comparison: Reconciler.Comparison) {
            let planned = try await fixture.reconciler.plan(environment: "dev", commit: fixture.head, sinceLastPlan: true)
            return (planned.plan, planned.comparison)
        }
        #expect(try await quick().comparison == .everyRow)  // no plan before
        #expect(try await quick().comparison == .sinceLastPlan(artifacts: 8))  // the eight creates are still to do
        _ = try await fixture.apply("dev")
        // The apply compared every row and wrote all it planned: the next plan builds on what it left.
        #expect(try await quick().comparison == .sinceLastPlan(artifacts: 0))
        #expect(try await quick().comparison == .sinceLastPlan(artifacts: 0))
        // Nothing declared references the other deployment: its closure is added on top, and only it is compared.
        try fixture.assign("deployment/refund-bot", "dev", 1)
        let promoted = try await quick()
        #expect(promoted.comparison == .sinceLastPlan(artifacts: promoted.plan.actions.count))
        #expect(promoted.plan.actions.contains { $0.id.description == "deployment/refund-bot" && $0.kind == .create })
        #expect(promoted.plan == (try await fixture.plan("dev")))

        let database = try DatabaseQueue(path: fixture.store.path)
        try await database.write { try $0.execute(sql: "UPDATE deployed SET content = content || ' ' WHERE name = 'support-bot'") }
        let drifted = try await quick()
        #expect(drifted.comparison == .everyRow)
        #expect(drifted.plan.actions.contains { $0.id.description == "deployment/support-bot" && $0.repairsDrift })
    }
}
