import CairnModel
@testable import CairnRegistry
import CairnTestSupport
import Testing

@Suite("Validating a registry read from git")
struct RegistryRulesTests {
    @Test("registry-example validates clean at a commit")
    func exampleIsClean() throws {
        let snapshot = try RegistryFixture().read()
        #expect(snapshot.diagnostics.map(\.description) == [])
        #expect(snapshot.artifacts.count == 13)
        #expect(snapshot.config?.environments.map(\.name) == ["dev", "staging", "production"])
    }

    @Test("two files with the same KIND/NAME@VERSION")
    func uniqueVersion() throws {
        let fixture = try RegistryFixture()
        let copy = try String(contentsOf: fixture.repo.directory.appendingPathComponent("registry/prompts/sentiment-classify.yaml"), encoding: .utf8)
        try fixture.repo.write("registry/prompts/sentiment-copy.yaml", copy)
        try fixture.repo.commitAll()
        let findings = try fixture.read().diagnostics.filter { $0.rule == "unique-version" }
        #expect(findings.count == 1)
        #expect(findings.first?.path == "registry/prompts/sentiment-copy.yaml")
        #expect(findings.first?.message.contains("registry/prompts/sentiment-classify.yaml") == true)
    }

    @Test("a reference to a version that exists nowhere does not resolve; one registered by tag does")
    func referencesResolve() throws {
        let fixture = try RegistryFixture()
        let findings = try fixture.findings(after: "chains/support-router.yaml", rule: "reference") {
            $0.replacingOccurrences(of: "prompt: prompt/summarize-ticket@2.0.1", with: "prompt: prompt/summarize-ticket@2.0.0")
        }
        #expect(findings.count == 1)
        #expect(findings.first?.message.contains("known versions: 2.0.1") == true)
        #expect(findings.first?.line == 25)
        try fixture.repo.tag("prompt/summarize-ticket@v2.0.0", message: "registered earlier")
        #expect(try fixture.read().diagnostics.filter { $0.rule == "reference" }.isEmpty)
    }

    @Test("a reference of the wrong kind is refused")
    func referenceKind() throws {
        let findings = try RegistryFixture().findings(after: "deployments/refund-bot.yaml", rule: "reference") {
            $0.replacingOccurrences(of: "adapters: [adapter/refund-qlora@0.9.0]", with: "adapters: [prompt/support-triage@1.3.0]")
        }
        #expect(findings.first?.message.contains("must reference a Adapter") == true)
    }

    @Test("an undeclared {{variable}} and an unused required variable")
    func templateVariables() throws {
        let fixture = try RegistryFixture()
        var findings = try fixture.findings(after: "prompts/summarize-ticket.yaml", rule: "template-variables") {
            $0.replacingOccurrences(of: "{{thread}}", with: "{{thread}} {{tone}}")
        }
        #expect(findings.map(\.message).contains { $0.contains("undeclared variable 'tone'") })
        findings = try fixture.findings(after: "prompts/summarize-ticket.yaml", rule: "template-variables") {
            $0.replacingOccurrences(of: "{{thread}} {{tone}}", with: "(thread omitted)")
        }
        #expect(findings.map(\.message) == ["required variable 'thread' is never used in the template"])
    }

    @Test("a chain whose steps form a cycle, or read a step that does not exist")
    func chainGraph() throws {
        let fixture = try RegistryFixture()
        var findings = try fixture.findings(after: "chains/support-router.yaml", rule: "chain-graph") {
            $0.replacingOccurrences(of: "inputMap: {thread: inputs.body}", with: "inputMap: {thread: steps.triage.output}")
        }
        #expect(findings.count == 1)
        #expect(findings.first?.message.contains("cycle") == true)
        findings = try fixture.findings(after: "chains/support-router.yaml", rule: "chain-graph") {
            $0.replacingOccurrences(of: "inputMap: {thread: steps.triage.output}", with: "inputMap: {thread: inputs.bodyy}")
        }
        #expect(findings.first?.message.contains("names an input the chain does not declare") == true)
    }

    @Test("a digest that is not 64 lowercase hex digits")
    func digests() throws {
        let findings = try RegistryFixture().findings(after: "datasets/triage-eval-set.yaml", rule: "digest") {
            $0.replacingOccurrences(of: "sha256: ", with: "sha256: ABC")
        }
        #expect(findings.count == 1)
    }

    @Test("a deployment naming an environment cairn.yaml does not define")
    func environments() throws {
        let findings = try RegistryFixture().findings(after: "deployments/refund-bot.yaml", rule: "environment") {
            $0.replacingOccurrences(of: "environments: [dev, staging]", with: "environments: [dev, qa]")
        }
        #expect(findings.first?.message.contains("'qa'") == true)
    }

    @Test("a range reference in the closure of a deployment to a protected environment")
    func protectedPins() throws {
        let fixture = try RegistryFixture()
        #expect(try fixture.read().diagnostics.isEmpty)  // refund-assistant uses ^1.0 but refund-bot is not in production
        let findings = try fixture.findings(after: "deployments/refund-bot.yaml", rule: "protected-pin") {
            $0.replacingOccurrences(of: "environments: [dev, staging]", with: "environments: [dev, staging, production]")
        }
        #expect(findings.count == 1)
        #expect(findings.first?.path == "registry/chains/refund-assistant.yaml")
    }

    @Test("a missing cairn.yaml is a finding")
    func missingConfig() throws {
        let fixture = try RegistryFixture()
        try fixture.repo.remove("registry/cairn.yaml")
        try fixture.repo.commitAll()
        #expect(try fixture.read().diagnostics.map(\.rule).contains("config"))
    }

    @Test("--worktree reads unsaved edits; the commit does not see them")
    func worktree() throws {
        let fixture = try RegistryFixture()
        try fixture.repo.write("registry/prompts/broken.yaml", "a: [1\n")
        #expect(try fixture.read(.worktree).diagnostics.map(\.rule) == ["yaml-syntax"])
        #expect(try fixture.read().diagnostics.isEmpty)
    }

    @Test("a blob over 1 MiB is refused from its object header, in the tree and in the worktree")
    func oversizedBlob() throws {
        let fixture = try RegistryFixture()
        try fixture.repo.write("registry/prompts/huge.yaml", "a: \"" + String(repeating: "x", count: 1_100_000) + "\"\n")
        try fixture.repo.commitAll()
        let findings = try fixture.read().diagnostics
        #expect(findings.map(\.rule) == ["yaml-size"])
        #expect(findings.first?.path == "registry/prompts/huge.yaml")
        #expect(try fixture.read(.worktree).diagnostics.map(\.rule) == ["yaml-size"])
    }

    @Test("a version gone from the tree is read at the commit its registration tag points to")
    func documentFromRegistrationTag() throws {
        let fixture = try RegistryFixture()
        try fixture.repo.tag("prompt/summarize-ticket@v2.0.1", message: "register")
        _ = try fixture.findings(after: "prompts/summarize-ticket.yaml", rule: "none") {
            $0.replacingOccurrences(of: "version: 2.0.1", with: "version: 2.1.0")
        }
        let location = try RegistryLocation.open(directory: fixture.repo.path, path: "registry")
        let reader = RegistryReader(location: location, cache: ValidationCache(fingerprint: "t"))
        let head = try location.commit("HEAD")
        #expect(try reader.document(of: ArtifactVersion("prompt/summarize-ticket@2.0.1")!, at: head)["metadata"]?["version"] == .string("2.0.1"))
        #expect(try reader.document(of: ArtifactVersion("prompt/summarize-ticket@2.1.0")!, at: head)["metadata"]?["version"] == .string("2.1.0"))
        #expect {
            try reader.document(of: ArtifactVersion("prompt/summarize-ticket@9.0.0")!, at: head)
        } throws: { error in
            guard case .notInRegistry(_, _, let here, true)? = error as? CairnError else { return false }
            return here.contains("2.1.0")
        }
    }
}
