import CairnModel
import CairnReconciler
@testable import CairnRegistry
import CairnState
import CairnTestSupport
import Foundation
import Git2
import Testing

/// registry-example in a git repo with nothing registered yet, a fresh store, and a `Lifecycle` acting as "alice".
struct LifecycleFixture {
    let repo: TestRepository
    let store: SQLiteStateStore
    let location: RegistryLocation

    init() throws {
        repo = try TestRepository()
        try repo.copy(from: SourceTree.registryExample, to: "registry")
        _ = try repo.commitAll("registry")
        location = try RegistryLocation.open(directory: repo.path, path: "registry")
        store = try SQLiteStateStore(path: repo.path + "/.cairn/state.sqlite", createFolders: true)
    }

    func lifecycle(remote: String? = nil, now: Int64 = 1_790_000_000) throws -> Lifecycle {
        let reader = RegistryReader(location: location, cache: ValidationCache(fingerprint: "t"))
        let config = try #require(try reader.config(at: try location.commit("HEAD")).config)
        return Lifecycle(reader: reader, store: store, config: config, actor: "alice", remote: remote, now: now)
    }

    var head: ObjectID { get throws { try location.commit("HEAD") } }

    func tags() throws -> [String] { try repo.git(["tag", "-l"]).split(separator: "\n").map(String.init) }

    func version(_ text: String) -> ArtifactVersion { ArtifactVersion(text)! }

    /// Commits a new version of sentiment-classify (0.4.2 → `version`), with a changed description.
    func bumpSentiment(to version: String) throws {
        let path = "registry/prompts/sentiment-classify.yaml"
        let text = try String(contentsOf: repo.directory.appendingPathComponent(path), encoding: .utf8)
        try repo.write(path, text.replacingOccurrences(of: "version: 0.4.2", with: "version: \(version)")
            .replacingOccurrences(of: "escalated sooner", with: "escalated sooner (\(version))"))
        _ = try repo.commitAll("sentiment-classify \(version)")
    }

    /// Everything registered, then sentiment-classify 0.5.0 committed and registered too (nothing assigned).
    static func withSentiment050() async throws -> LifecycleFixture {
        let fixture = try LifecycleFixture()
        _ = try await fixture.lifecycle().register([], at: try fixture.head)
        try fixture.bumpSentiment(to: "0.5.0")
        _ = try await fixture.lifecycle().register([fixture.version("prompt/sentiment-classify@0.5.0")], at: try fixture.head)
        return fixture
    }

    /// Applies what git declares for `environment` (so that it is live there for the next one).
    func apply(_ environment: String) async throws {
        let lifecycle = try self.lifecycle()
        _ = try await Reconciler(reader: lifecycle.reader, store: store, config: lifecycle.config)
            .apply(environment: environment, commit: try head, expected: nil, actor: "alice", allowEmpty: false)
    }

    func actions() async throws -> [String] { try await store.auditRecords(AuditQuery()).map(\.action) }
}

@Suite("Register, promote, roll back and hold")
struct LifecycleTests {
    @Test("register tags the commit that introduced each version's content, formatting edits aside, and is idempotent")
    func register() async throws {
        let fixture = try LifecycleFixture()
        let introduced = try fixture.head
        // A comment is a formatting-only edit (same canonical digest); an unrelated file changes nothing either.
        let path = "registry/prompts/sentiment-classify.yaml"
        let text = try String(contentsOf: fixture.repo.directory.appendingPathComponent(path), encoding: .utf8)
        try fixture.repo.write(path, "# reviewed\n" + text)
        try fixture.repo.write("README.md", "notes\n")
        _ = try fixture.repo.commitAll("comment")

        let first = try await fixture.lifecycle().register([], at: try fixture.head)
        #expect(first.tags.count == 13)
        #expect(try fixture.repo.git(["rev-list", "-n", "1", "prompt/sentiment-classify@v0.4.2"]).hasPrefix(introduced.hex))
        #expect(try await fixture.actions() == Array(repeating: "register", count: 13))
        #expect(try await fixture.lifecycle().register([], at: try fixture.head).tags.isEmpty)
        let again = try await fixture.lifecycle().register([fixture.version("prompt/sentiment-classify@0.4.2")], at: try fixture.head)
        #expect(again.tags.isEmpty && again.notes.first?.contains("already registered") == true)
    }

    @Test("a registered version whose content changed without a bump refuses the whole register before any tag")
    func immutable() async throws {
        let fixture = try LifecycleFixture()
        _ = try await fixture.lifecycle().register([fixture.version("prompt/sentiment-classify@0.4.2")], at: try fixture.head)
        let path = "registry/prompts/sentiment-classify.yaml"
        let text = try String(contentsOf: fixture.repo.directory.appendingPathComponent(path), encoding: .utf8)
        try fixture.repo.write(path, text.replacingOccurrences(of: "escalated sooner", with: "escalated at once"))
        _ = try fixture.repo.commitAll("edit without bump")
        let before = try fixture.tags()
        await #expect {
            try await fixture.lifecycle().register([], at: try fixture.head)
        } throws: { error in
            guard case .immutableVersion(let version, let tag, _)? = error as? CairnError else { return false }
            return version.description == "prompt/sentiment-classify@0.4.2" && tag == "prompt/sentiment-classify@v0.4.2"
        }
        #expect(try fixture.tags() == before)
    }

    @Test("promote follows the environment order, counts like GTO, and audits; --skip-order needs a reason in the tag")
    func promote() async throws {
        let fixture = try LifecycleFixture()
        let lifecycle = try fixture.lifecycle()
        _ = try await lifecycle.register([], at: try fixture.head)
        let triage = fixture.version("prompt/support-triage@1.3.0")
        await #expect(throws: Lifecycle.Refusal.self) { try await lifecycle.promote(triage, to: "staging") }
        #expect(try await fixture.actions().last == "refuse")
        #expect(try await lifecycle.promote(triage, to: "dev").tags == ["prompt/support-triage#dev#1"])
        #expect(try await lifecycle.promote(triage, to: "dev").notes.first?.contains("already assigned") == true)
        // Assigned to dev is not enough: it must have been deployed there.
        await #expect(throws: Lifecycle.Refusal.self) { try await lifecycle.promote(triage, to: "staging") }
        try await fixture.apply("dev")
        #expect(try await lifecycle.promote(triage, to: "staging").tags == ["prompt/support-triage#staging#2"])
        #expect(try await fixture.actions().suffix(1) == ["promote"])

        let skipped = try await lifecycle.promote(fixture.version("prompt/sentiment-classify@0.4.2"), to: "staging", skipOrderReason: "hotfix INC-7")
        #expect(skipped.tags == ["prompt/sentiment-classify#staging#1"])
        #expect(try fixture.repo.git(["tag", "-l", "--format=%(contents)", "prompt/sentiment-classify#staging#1"]).contains("order skipped: hotfix INC-7"))
        #expect(try await fixture.store.auditRecords(AuditQuery()).last?.tag == "prompt/sentiment-classify#staging#1")
    }

    @Test("counters are bounded: a tag past the largest is ignored, and promote after the largest refuses instead of overflowing")
    func counterBounds() async throws {
        let fixture = try LifecycleFixture()
        _ = try await fixture.lifecycle().register([], at: try fixture.head)
        let triage = fixture.version("prompt/support-triage@1.3.0")
        try fixture.repo.tag("prompt/support-triage#dev#9223372036854775807", message: "forged")
        // Unreadable, so ignored: the next counter is 1 and the promotion works.
        #expect(try await fixture.lifecycle().promote(triage, to: "dev").tags == ["prompt/support-triage#dev#1"])
        try await fixture.apply("dev")
        try fixture.repo.tag("prompt/support-triage#dev#\(TagName.maxCounter)", message: "largest")
        await #expect {
            _ = try await fixture.lifecycle().promote(fixture.version("prompt/support-triage@1.3.0"), to: "staging")
        } throws: { error in
            "\(error)".contains("\(TagName.maxCounter)")
        }
    }

    @Test("promote checks the environment's policies and gates as apply does, and audits the refusal")
    func policy() async throws {
        let fixture = try LifecycleFixture()
        let lifecycle = try fixture.lifecycle()
        _ = try await lifecycle.register([], at: try fixture.head)
        let before = try fixture.tags()
        do {
            _ = try await lifecycle.promote(fixture.version("deployment/refund-bot@0.7.0"), to: "staging", skipOrderReason: "test")
            Issue.record("promoted past a gate without a result")
        } catch let refusal as Lifecycle.Refusal {
            if case .policy(let refused) = refusal { #expect(refused.policy == .gatesMustPass) } else { Issue.record("\(refusal)") }
        }
        #expect(try fixture.tags() == before)
        #expect(try await fixture.actions().last == "refuse")
        // Gates and approvals are evidence: with no evaluation record, production's gate refuses the deployment; with
        // no signed approval record, its minApprovals refuses the prompt assigned directly; each names the digest.
        for (version, policy) in [("deployment/support-bot@1.4.0", PolicyEngine.Policy.gatesMustPass), ("prompt/support-triage@1.3.0", .minApprovals)] {
            do {
                _ = try await lifecycle.promote(fixture.version(version), to: "production", skipOrderReason: "test")
                Issue.record("promoted \(version) without evidence")
            } catch let refusal as Lifecycle.Refusal {
                guard case .policy(let refused) = refusal else { Issue.record("\(refusal)"); continue }
                #expect(refused.policy == policy && refused.artifact == version && refused.message.contains("(sha256:"), "\(refused)")
            }
        }
        #expect(try fixture.tags() == before)
    }

    @Test("promote checks a range the way apply resolves it: the version the environment runs when it fits")
    func closureFollowsAssignment() async throws {
        let fixture = try LifecycleFixture()
        let lifecycle = try fixture.lifecycle()
        _ = try await lifecycle.register([], at: try fixture.head)
        _ = try await lifecycle.promote(fixture.version("prompt/refund-policy-answer@1.0.0"), to: "staging", skipOrderReason: "test")
        // A newer 1.x without a license, which staging requires: the chain's ^1.0 accepts it, but staging runs 1.0.0.
        let path = "registry/prompts/refund-policy-answer.yaml"
        let text = try String(contentsOf: fixture.repo.directory.appendingPathComponent(path), encoding: .utf8)
        try fixture.repo.write(path, text.replacingOccurrences(of: "  version: 1.0.0\n", with: "  version: 1.1.0\n")
            .replacingOccurrences(of: "  license: Apache-2.0\n", with: ""))
        _ = try fixture.repo.commitAll("refund-policy-answer 1.1.0")
        #expect(try await lifecycle.register([fixture.version("prompt/refund-policy-answer@1.1.0")], at: try fixture.head).tags.count == 1)
        #expect(try await !lifecycle.promote(fixture.version("chain/refund-assistant@0.7.0"), to: "staging", skipOrderReason: "test").tags.isEmpty)
    }

    @Test("rollback assigns the previous version and holds the bad one: promote and plan refuse it until it is released")
    func rollback() async throws {
        let fixture = try LifecycleFixture()
        _ = try await fixture.lifecycle().register([], at: try fixture.head)
        try fixture.bumpSentiment(to: "0.5.0")
        let lifecycle = try fixture.lifecycle()
        _ = try await lifecycle.register([fixture.version("prompt/sentiment-classify@0.5.0")], at: try fixture.head)
        let old = fixture.version("prompt/sentiment-classify@0.4.2"), new = fixture.version("prompt/sentiment-classify@0.5.0")
        _ = try await lifecycle.promote(old, to: "dev")
        _ = try await lifecycle.promote(new, to: "dev")

        let rolled = try await lifecycle.rollback(new.id, in: "dev", reason: "answers in the wrong language")
        #expect(rolled.tags == ["prompt/sentiment-classify#dev#3", "cairn-hold/dev/prompt/sentiment-classify/v0.5.0/1"])
        let events = try lifecycle.reader.tagEvents()
        let current = EnvironmentAssignments.resolve(events, environment: "dev").assignments[new.id]
        #expect(current?.version == old)
        #expect(TagLedger(events).history(of: new.id).map(\.kind) == [.registration, .registration, .assignment, .assignment, .rollback, .hold])
        #expect(try await fixture.actions().suffix(2) == ["rollback", "hold"])

        await #expect(throws: Lifecycle.Refusal.self) { try await lifecycle.promote(new, to: "dev") }
        // A raw tag that re-assigns the held version is seen by every reconciler: the plan reports it.
        try fixture.repo.tag("prompt/sentiment-classify#dev#9", at: "prompt/sentiment-classify@v0.5.0", message: "by hand")  // a tag of a tag
        let reconciler = Reconciler(reader: lifecycle.reader, store: fixture.store, config: lifecycle.config)
        #expect(try await reconciler.plan(environment: "dev", commit: try fixture.head).plan.problems.first.map { $0.kind == .assignment && $0.message.contains("on hold") } == true)

        #expect(try await lifecycle.hold(new, in: "dev", reason: "fixed", lift: true).tags == ["cairn-release/dev/prompt/sentiment-classify/v0.5.0/2"])
        #expect(try await reconciler.plan(environment: "dev", commit: try fixture.head).plan.problems.isEmpty)
    }

    @Test("--push sends the tag to the remote; a rejected push deletes the local tag and audits nothing")
    func push() async throws {
        let fixture = try LifecycleFixture()
        let remote = try TestRepository(bare: true)
        _ = try await fixture.lifecycle().register([], at: try fixture.head)
        let triage = fixture.version("prompt/support-triage@1.3.0")
        #expect(try await fixture.lifecycle(remote: remote.path).promote(triage, to: "dev").tags == ["prompt/support-triage#dev#1"])
        #expect(try remote.git(["tag", "-l"]) == "prompt/support-triage#dev#1")

        try await fixture.apply("dev")
        // The remote already has a #staging#2 of its own (someone promoted concurrently): ours is rejected.
        _ = try remote.git(["tag", "prompt/support-triage#staging#2", "prompt/support-triage#dev#1"])
        let audited = try await fixture.actions().count
        await #expect(throws: PushRejected.self) { try await fixture.lifecycle(remote: remote.path).promote(triage, to: "staging") }
        #expect(try !fixture.tags().contains("prompt/support-triage#staging#2"))
        #expect(try await fixture.actions().count == audited)
    }

    @Test("promote refuses a version that an artifact the environment runs pins otherwise, naming the dependent")
    func pinnedByDependent() async throws {
        let fixture = try LifecycleFixture()
        _ = try await fixture.lifecycle().register([], at: try fixture.head)
        _ = try await fixture.lifecycle().promote(fixture.version("deployment/support-bot@1.4.0"), to: "dev")
        try fixture.bumpSentiment(to: "0.5.0")
        _ = try await fixture.lifecycle().register([fixture.version("prompt/sentiment-classify@0.5.0")], at: try fixture.head)
        let before = try fixture.tags()
        do {
            _ = try await fixture.lifecycle().promote(fixture.version("prompt/sentiment-classify@0.5.0"), to: "dev")
            Issue.record("promoted a version its dependent does not accept")
        } catch let refusal as Lifecycle.Refusal {
            guard case .pinnedByDependent(_, _, let dependent, let field, _, _) = refusal else { Issue.record("\(refusal)"); return }
            #expect(dependent.description == "chain/support-router@1.4.0" && field.hasPrefix("spec."), "\(refusal)")
            #expect(refusal.description.contains("promote a version of chain/support-router that accepts 0.5.0"))
        }
        #expect(try fixture.tags() == before)
        // Without the check, the plan would have refused both: the same conflict, found later.
        let name = "prompt/sentiment-classify#dev#9"
        try fixture.repo.tag(name, at: try fixture.repo.git(["rev-list", "-n", "1", "prompt/sentiment-classify@v0.5.0"]), message: "by hand")
        let lifecycle = try fixture.lifecycle()
        let plan = try await Reconciler(reader: lifecycle.reader, store: fixture.store, config: lifecycle.config).plan(environment: "dev", commit: try fixture.head).plan
        #expect(plan.problems.contains { $0.kind == .conflict && $0.message.contains("chain/support-router@1.4.0") })
    }

    @Test("promote refuses a dependent whose closure needs another version of an artifact the environment assigns directly")
    func closureConflictsWithDirectAssignment() async throws {
        let fixture = try await LifecycleFixture.withSentiment050()
        // Nothing pins sentiment-classify in dev yet: its 0.5.0 goes in directly.
        #expect(try await fixture.lifecycle().promote(fixture.version("prompt/sentiment-classify@0.5.0"), to: "dev").tags.count == 1)
        let before = try fixture.tags()
        do {
            _ = try await fixture.lifecycle().promote(fixture.version("chain/support-router@1.4.0"), to: "dev")
            Issue.record("promoted a chain whose pin conflicts with what dev assigns directly")
        } catch let refusal as Lifecycle.Refusal {
            guard case .wouldNotApply(_, _, let problems) = refusal else { Issue.record("\(refusal)"); return }
            #expect(problems.contains { $0.kind == .conflict && $0.message.contains("needs prompt/sentiment-classify@0.4.2, but prompt/sentiment-classify@0.5.0 is declared") },
                    "\(refusal)")
        }
        #expect(try fixture.tags() == before)
    }

    @Test("unassign withdraws a direct assignment (the artifact then follows its dependents); deprecate hides an artifact from show")
    func unassignAndDeprecate() async throws {
        let fixture = try LifecycleFixture()
        let lifecycle = try fixture.lifecycle()
        _ = try await lifecycle.register([], at: try fixture.head)
        _ = try await lifecycle.promote(fixture.version("deployment/support-bot@1.4.0"), to: "dev")
        _ = try await lifecycle.promote(fixture.version("prompt/sentiment-classify@0.4.2"), to: "dev")
        let reconciler = Reconciler(reader: lifecycle.reader, store: fixture.store, config: lifecycle.config)
        let sentiment = ArtifactID("prompt/sentiment-classify")!
        #expect(try await reconciler.plan(environment: "dev", commit: try fixture.head).declared.artifacts[sentiment]?.tag.hasPrefix("prompt/sentiment-classify#dev#") == true)

        let withdrawn = try await fixture.lifecycle().unassign(sentiment, in: "dev", reason: "follows the chain")
        #expect(withdrawn.tags.count == 1 && withdrawn.tags[0].hasPrefix("prompt/sentiment-classify#dev!#"))
        let after = try await reconciler.plan(environment: "dev", commit: try fixture.head)
        #expect(after.plan.problems.isEmpty)
        #expect(after.declared.artifacts[sentiment]?.tag == "required by chain/support-router@1.4.0")
        #expect(try await fixture.lifecycle().unassign(sentiment, in: "dev").notes.first?.contains("not assigned") == true)
        #expect(try await fixture.actions().suffix(1) == ["unassign"])

        let refundBot = ArtifactID("deployment/refund-bot")!
        #expect(try await fixture.lifecycle().deprecate(refundBot, reason: "replaced").tags.first?.hasPrefix("deployment/refund-bot@deprecated#") == true)
        let ledger = TagLedger(try lifecycle.reader.tagEvents())
        #expect(ledger.shown(includingDeprecated: false).contains { $0.id == refundBot } == false)
        #expect(ledger.shown(includingDeprecated: true).contains { $0.id == refundBot })
        #expect(try await fixture.lifecycle().deprecate(refundBot).notes.first?.contains("deprecated already") == true)
        await #expect(throws: CairnError.self) { try await fixture.lifecycle().deprecate(ArtifactID("prompt/nope")!) }
    }
}
