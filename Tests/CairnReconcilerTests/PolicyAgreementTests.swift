import CairnModel
import CairnReconciler
import CairnRegistry
import CairnState
import CairnTestSupport
import Foundation
import Testing

/// promote, apply and the pre-receive hook ask one policy engine; on the same tags, store and time they must reach
/// the same verdict for every policy.
@Suite("One policy engine")
struct PolicyAgreementTests {
    /// registry-example with staging's policy replaced by `policy` (YAML flow mapping), everything registered.
    static func fixture(policy: String) async throws -> LifecycleFixture {
        let fixture = try LifecycleFixture()
        try setStagingPolicy(fixture, policy)
        _ = try await fixture.lifecycle().register([], at: try fixture.head)
        return fixture
    }

    static func setStagingPolicy(_ fixture: LifecycleFixture, _ policy: String) throws {
        let path = "registry/cairn.yaml"
        let text = try String(contentsOf: fixture.repo.directory.appendingPathComponent(path), encoding: .utf8)
        let start = try #require(text.range(of: "  - name: staging\n"))
        let end = try #require(text.range(of: "  - name: production\n"))
        try fixture.repo.write(path, text.replacingCharacters(in: start.upperBound..<end.lowerBound, with: "    policy: \(policy)\n"))
        _ = try fixture.repo.commitAll("staging policy \(policy)")
    }

    /// The policy each of promote, apply and the hook (with the store, and without it) refuses `version` by, in
    /// staging; nil for accepted. The tag promote would write is written by hand for apply and the hook.
    static func verdicts(_ fixture: LifecycleFixture, _ text: String, skipReason: String? = nil, now: Int64 = 1_790_000_000) async throws
        -> (promote: String?, apply: String?, hook: String?, hookWithoutStore: String?) {
        let version = fixture.version(text)
        let lifecycle = try fixture.lifecycle(now: now)
        func policy(in message: String) -> String? {
            guard let range = message.range(of: "refused by policy '") else { return message }
            return String(message[range.upperBound...].prefix { $0 != "'" })
        }
        var promoted: String?
        do {
            _ = try await lifecycle.promote(version, to: "staging", skipOrderReason: skipReason)
        } catch let refusal as Lifecycle.Refusal {
            promoted = policy(in: refusal.description)
        }
        let name = "\(version.id)#staging#9"
        for tag in try fixture.tags() where tag.hasPrefix("\(version.id)#staging#") { _ = try fixture.repo.git(["tag", "-d", tag]) }
        let registration = try fixture.repo.git(["rev-list", "-n", "1", "\(version.id)@v\(version.version)"])
        try fixture.repo.tag(name, at: registration, message: "assign\n\nactor: someone\n" + (skipReason.map { "\(PolicyEngine.skipField): \($0)\n" } ?? ""))
        var applied: String?
        do {
            _ = try await Reconciler(reader: lifecycle.reader, store: fixture.store, config: lifecycle.config)
                .apply(environment: "staging", commit: try fixture.head, expected: nil, actor: "someone", allowEmpty: false, now: now)
        } catch let refusal as Reconciler.Refusal {
            guard case .policy(let refused) = refusal else { throw refusal }
            applied = refused.policy.rawValue
        }
        let object = try fixture.repo.git(["rev-parse", name])
        let update = try #require(ReceiveCheck.Update(line: Substring("\(String(repeating: "0", count: 40)) \(object) refs/tags/\(name)")))
        let withStore = try await ReceiveCheck(reader: lifecycle.reader, updates: [update], config: lifecycle.config, store: fixture.store, now: now)
        let withoutStore = try await ReceiveCheck(reader: lifecycle.reader, updates: [update], config: lifecycle.config, now: now)
        _ = try fixture.repo.git(["tag", "-d", name])
        return (promoted, applied, withStore.rejections.first.flatMap(policy(in:)), withoutStore.rejections.first.flatMap(policy(in:)))
    }

    static func expectAgreement(_ verdicts: (promote: String?, apply: String?, hook: String?, hookWithoutStore: String?), _ expected: String?,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(verdicts.promote == expected, "promote", sourceLocation: sourceLocation)
        #expect(verdicts.apply == expected, "apply", sourceLocation: sourceLocation)
        #expect(verdicts.hook == expected, "pre-receive", sourceLocation: sourceLocation)
    }

    @Test("requiredCompliance, minApprovals, forbiddenRiskClasses, gatesMustPass and freezeWindows: the same verdict from all three")
    func documentPolicies() async throws {
        // `evaluated`: an evaluation of the version recorded first (accuracy on the support-bot gate's dataset).
        let cases: [(policy: String, version: String, refused: String?, evaluated: Double?)] = [
            ("{requiredCompliance: [accountable, license]}", "prompt/sentiment-classify@0.4.2", nil, nil),
            ("{requiredCompliance: [retention]}", "prompt/sentiment-classify@0.4.2", "requiredCompliance", nil),
            // The YAML's approvals are claims: they never count.
            ("{minApprovals: 1}", "prompt/sentiment-classify@0.4.2", "minApprovals", nil),
            ("{forbiddenRiskClasses: [minimal]}", "prompt/sentiment-classify@0.4.2", "forbiddenRiskClasses", nil),
            ("{forbiddenRiskClasses: [prohibited]}", "prompt/sentiment-classify@0.4.2", nil, nil),
            ("{gatesMustPass: true}", "deployment/refund-bot@0.7.0", "gatesMustPass", nil),
            // Its YAML claims a passing result: not counted without an evaluation record.
            ("{gatesMustPass: true}", "deployment/support-bot@1.4.0", "gatesMustPass", nil),
            ("{gatesMustPass: true}", "deployment/support-bot@1.4.0", nil, 0.93),
            ("{gatesMustPass: true}", "deployment/support-bot@1.4.0", "gatesMustPass", 0.85),
            // A dependency is held to the document policies too: refund-bot requires a limited-risk chain.
            ("{forbiddenRiskClasses: [high]}", "deployment/refund-bot@0.7.0", nil, nil),
        ]
        for item in cases {
            let fixture = try await Self.fixture(policy: item.policy)
            if let value = item.evaluated {
                let measurement = Lifecycle.Measurement(metric: "accuracy", value: value, dataset: fixture.version("dataset/triage-eval-set@1.2.0"))
                _ = try await fixture.lifecycle().recordEvaluation(of: fixture.version(item.version), measurement)
            }
            let verdicts = try await Self.verdicts(fixture, item.version)
            Self.expectAgreement(verdicts, item.refused)
            let label = "\(item.policy) \(item.version) \(item.evaluated ?? 0)"
            #expect(verdicts.hookWithoutStore == item.refused, "\(label): without a store the hook judges documents the same")
        }
        let frozen = try await Self.fixture(policy: "{freezeWindows: [{from: 2026-12-22T00:00:00Z, until: 2027-01-04T00:00:00Z}]}")
        Self.expectAgreement(try await Self.verdicts(frozen, "prompt/sentiment-classify@0.4.2", now: Timestamp.seconds("2026-12-24T00:00:00Z")!), "freezeWindows")
        Self.expectAgreement(try await Self.verdicts(frozen, "prompt/sentiment-classify@0.4.2", now: Timestamp.seconds("2027-01-05T00:00:00Z")!), nil)
    }

    @Test("promoteFromPrevious means deployed in the previous environment, for promote, apply and the hook that sees the store")
    func promotionOrder() async throws {
        let version = "prompt/sentiment-classify@0.4.2"
        // Each case on its own registry and store: an accepted verdict deploys to staging.
        func fresh() async throws -> LifecycleFixture { try await Self.fixture(policy: "{promoteFromPrevious: true}") }
        // Nowhere in dev: all refuse, the hook even without the store (the tags prove it cannot be live).
        let nowhere = try await Self.verdicts(try await fresh(), version)
        Self.expectAgreement(nowhere, "promoteFromPrevious")
        #expect(nowhere.hookWithoutStore == "promoteFromPrevious")
        // Skipped with a recorded reason: all accept.
        Self.expectAgreement(try await Self.verdicts(try await fresh(), version, skipReason: "hotfix INC-7"), nil)
        // Assigned to dev but never applied there: not live. The hook that cannot see the store lets it through
        // (it cannot tell), and apply still refuses.
        let assignedFixture = try await fresh()
        _ = try await assignedFixture.lifecycle().promote(assignedFixture.version(version), to: "dev")
        let assigned = try await Self.verdicts(assignedFixture, version)
        Self.expectAgreement(assigned, "promoteFromPrevious")
        #expect(assigned.hookWithoutStore == nil)
        // Deployed in dev: all accept.
        let deployedFixture = try await fresh()
        _ = try await deployedFixture.lifecycle().promote(deployedFixture.version(version), to: "dev")
        try await deployedFixture.apply("dev")
        let deployed = try await Self.verdicts(deployedFixture, version)
        Self.expectAgreement(deployed, nil)
        #expect(deployed.hookWithoutStore == nil)
    }

    /// What the pre-receive hook says of a pushed assignment of `text` to dev (the tag written by hand, then removed).
    static func hookRejection(_ fixture: LifecycleFixture, _ text: String) async throws -> String? {
        let version = fixture.version(text)
        let name = "\(version.id)#dev#9"
        try fixture.repo.tag(name, at: try fixture.repo.git(["rev-list", "-n", "1", "\(version.id)@v\(version.version)"]), message: "assign\n\nactor: someone\n")
        defer { _ = try? fixture.repo.git(["tag", "-d", name]) }
        let object = try fixture.repo.git(["rev-parse", name])
        let update = try #require(ReceiveCheck.Update(line: Substring("\(String(repeating: "0", count: 40)) \(object) refs/tags/\(name)")))
        let lifecycle = try fixture.lifecycle()
        return try await ReceiveCheck(reader: lifecycle.reader, updates: [update], config: lifecycle.config, store: fixture.store).rejections.first
    }

    @Test("a version a running dependent pins otherwise, and a dependent that conflicts with a direct assignment: promote and the hook both refuse")
    func pinsAgree() async throws {
        let fixture = try await LifecycleFixture.withSentiment050()
        // dev runs the chain, which pins sentiment-classify 0.4.2: 0.5.0 on its own is refused by both.
        _ = try await fixture.lifecycle().promote(fixture.version("chain/support-router@1.4.0"), to: "dev")
        await #expect(throws: Lifecycle.Refusal.self) { try await fixture.lifecycle().promote(fixture.version("prompt/sentiment-classify@0.5.0"), to: "dev") }
        let pinned = try await Self.hookRejection(fixture, "prompt/sentiment-classify@0.5.0")
        #expect(pinned?.contains("chain/support-router@1.4.0 in 'dev' pins prompt/sentiment-classify") == true, "\(pinned ?? "accepted")")
        #expect(try await Self.hookRejection(fixture, "prompt/sentiment-classify@0.4.2") == nil)

        // With sentiment-classify 0.5.0 assigned directly (no chain), the chain that pins 0.4.2 is refused by both.
        let direct = try await LifecycleFixture.withSentiment050()
        _ = try await direct.lifecycle().promote(direct.version("prompt/sentiment-classify@0.5.0"), to: "dev")
        await #expect(throws: Lifecycle.Refusal.self) { try await direct.lifecycle().promote(direct.version("chain/support-router@1.4.0"), to: "dev") }
        let conflict = try await Self.hookRejection(direct, "chain/support-router@1.4.0")
        #expect(conflict?.contains("but prompt/sentiment-classify@0.5.0 is declared") == true, "\(conflict ?? "accepted")")
    }

    @Test("a promotion whose closure would not apply (a reference nothing registered fits) is refused by promote, apply and the hook")
    func closureProblems() async throws {
        // refund-bot's chain references prompt/refund-policy-answer@^1.0, whose registration is removed; support-bot
        // does not need it.
        let fixture = try await Self.fixture(policy: "{}")
        for tag in try fixture.tags() where tag.hasPrefix("prompt/refund-policy-answer@") { _ = try fixture.repo.git(["tag", "-d", tag]) }
        for (text, refused) in [("deployment/refund-bot@0.7.0", true), ("deployment/support-bot@1.4.0", false)] {
            for message in try await Self.refusals(fixture, text, in: "staging") {
                #expect((message != nil) == refused, "\(text): \(message ?? "accepted")")
                if refused { #expect(message?.contains("'prompt/refund-policy-answer@^1.0' is not a registered version") == true, "\(message ?? "")") }
            }
        }
    }

    @Test("protected: a range anywhere in the closure is refused by validation, promote, apply and the hook alike; exact pins pass all four")
    func protectedAgrees() async throws {
        // refund-bot (its environments name staging) runs a chain that references prompt/refund-policy-answer@^1.0.
        // Registered first: registration is refused at a commit that does not validate, so the policy comes after.
        let fixture = try await Self.fixture(policy: "{}")
        try Self.setStagingPolicy(fixture, "{protected: true}")
        let lifecycle = try fixture.lifecycle()
        let snapshot = try lifecycle.reader.read(.commit(try fixture.head))
        let pins = snapshot.diagnostics.filter { $0.rule == "protected-pin" }
        #expect(pins.map(\.path) == ["registry/chains/refund-assistant.yaml"], "\(snapshot.diagnostics)")
        #expect(pins.first?.message.contains("is a range; 'staging' is protected and accepts exact pins only (deployment/refund-bot@0.7.0 goes there)") == true,
                "\(pins)")
        for (text, refused) in [("deployment/refund-bot@0.7.0", true), ("deployment/support-bot@1.4.0", false)] {
            for message in try await Self.refusals(fixture, text, in: "staging") {
                #expect((message != nil) == refused, "\(text): \(message ?? "accepted")")
                if refused { #expect(message?.contains("@^1.0' is a range; 'staging' is protected and accepts exact pins only") == true, "\(message ?? "")") }
            }
        }
    }

    /// What promote, apply and the hook (with the store) say of assigning `text` to `environment` (nil: accepted);
    /// the tag promote would write is written by hand for apply and the hook, then removed.
    static func refusals(_ fixture: LifecycleFixture, _ text: String, in environment: String) async throws -> [String?] {
        let version = fixture.version(text)
        let lifecycle = try fixture.lifecycle()
        var promoted: String?
        do { _ = try await lifecycle.promote(version, to: environment) } catch let refusal as Lifecycle.Refusal { promoted = refusal.description }
        let name = "\(version.id)#\(environment)#9"
        for tag in try fixture.tags() where tag.hasPrefix("\(version.id)#\(environment)#") { _ = try fixture.repo.git(["tag", "-d", tag]) }
        try fixture.repo.tag(name, at: try fixture.repo.git(["rev-list", "-n", "1", "\(version.id)@v\(version.version)"]), message: "assign\n\nactor: someone\n")
        var applied: String?
        do {
            _ = try await Reconciler(reader: lifecycle.reader, store: fixture.store, config: lifecycle.config)
                .apply(environment: environment, commit: try fixture.head, expected: nil, actor: "someone", allowEmpty: false)
        } catch let refusal as Reconciler.Refusal { applied = refusal.description }
        let update = try #require(ReceiveCheck.Update(line: Substring("\(String(repeating: "0", count: 40)) \(try fixture.repo.git(["rev-parse", name])) refs/tags/\(name)")))
        let hook = try await ReceiveCheck(reader: lifecycle.reader, updates: [update], config: lifecycle.config, store: fixture.store)
        _ = try fixture.repo.git(["tag", "-d", name])
        return [promoted, applied, hook.rejections.first]
    }
}
