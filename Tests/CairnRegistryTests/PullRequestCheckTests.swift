import CairnModel
@testable import CairnRegistry
import CairnTestSupport
import Foundation
import Testing

/// A change on top of registry-example: edit files, commit, then diff or check BASE (the first commit) against HEAD.
struct ChangeFixture {
    let fixture: RegistryFixture
    let base: String

    init() throws {
        fixture = try RegistryFixture()
        base = try fixture.repo.git(["rev-parse", "HEAD"])
    }

    func edit(_ file: String, _ change: (String) -> String) throws {
        let url = fixture.repo.directory.appendingPathComponent("registry/" + file)
        try fixture.repo.write("registry/" + file, change(try String(contentsOf: url, encoding: .utf8)))
    }

    func commit() throws { _ = try fixture.repo.commitAll("change") }

    var reader: RegistryReader {
        get throws { RegistryReader(location: try RegistryLocation.open(directory: fixture.repo.path, path: "registry"), cache: ValidationCache(fingerprint: "t")) }
    }

    func check() throws -> PullRequestCheck {
        let location = try RegistryLocation.open(directory: fixture.repo.path, path: "registry")
        return try PullRequestCheck(reader: try reader, base: try location.commit(base), head: try location.commit("HEAD"))
    }

    func rules() throws -> [String] { try check().violations.map(\.rule) }
}

@Suite("Semantic diff and the pull-request gate")
struct PullRequestCheckTests {
    @Test("reformatting, reordering keys and comments are not changes")
    func formattingOnly() throws {
        let change = try ChangeFixture()
        try change.edit("prompts/sentiment-classify.yaml") { "# a comment\n" + $0.replacingOccurrences(of: "apiVersion: cairn/v1\nkind: PromptTemplate", with: "kind: PromptTemplate\napiVersion:   cairn/v1") }
        try change.commit()
        let check = try change.check()
        #expect(check.diff.entries.isEmpty)
        #expect(check.violations.isEmpty)
    }

    @Test("a bump shows the fields: template lines, model parameters, variables, re-pinned references, compliance")
    func fields() throws {
        let change = try ChangeFixture()
        try change.edit("prompts/support-triage.yaml") {
            $0.replacingOccurrences(of: "version: 1.3.0", with: "version: 1.4.0")
                .replacingOccurrences(of: "Answer with JSON only.", with: "Answer with JSON only.\n        Never invent a queue.")
                .replacingOccurrences(of: "temperature: 0.0", with: "temperature: 0.2")
                .replacingOccurrences(of: "    - {name: company, type: string, required: false, default: Acme}\n", with: "    - {name: company, type: string, required: false, default: Acme}\n    - {name: tone, type: string, required: false}\n")
                .replacingOccurrences(of: "riskClass: limited", with: "riskClass: high")
        }
        try change.edit("chains/support-router.yaml") {
            $0.replacingOccurrences(of: "version: 1.4.0", with: "version: 1.5.0").replacingOccurrences(of: "prompt/support-triage@1.3.0", with: "prompt/support-triage@1.4.0")
        }
        try change.commit()
        let entries = try change.check().diff.entries
        #expect(entries.map(\.change) == [.versionBumped, .versionBumped])  // the prompt, then the chain that pins it
        let prompt = try #require(entries.first(where: { $0.id.kind == .promptTemplate }))
        let byPath: [String: SemanticDiff.Field] = Dictionary(uniqueKeysWithValues: prompt.fields.map { ($0.path, $0) })
        #expect(byPath["spec.messages[0].content"]?.lines.filter { !$0.hasPrefix(" ") } == ["+Never invent a queue."])
        #expect(byPath["spec.modelConfig.temperature"]?.category == .model)
        #expect(byPath["spec.variables[tone]"]?.category == .variable && byPath["spec.variables[tone]"]?.before == nil)
        #expect(byPath["compliance.riskClass"]?.category == .compliance)
        let chain = try #require(entries.first(where: { $0.id.kind == .chain }))
        #expect(chain.fields.filter { $0.category == .reference }.count == 2)  // both steps that use the triage prompt
    }

    @Test("content changed without a bump, and a version that goes down, are violations")
    func bumps() throws {
        let change = try ChangeFixture()
        try change.edit("prompts/sentiment-classify.yaml") { $0.replacingOccurrences(of: "escalated sooner", with: "escalated at once") }
        try change.edit("prompts/summarize-ticket.yaml") { $0.replacingOccurrences(of: "version: 2.0.1", with: "version: 2.0.0") }
        try change.edit("chains/support-router.yaml") { $0.replacingOccurrences(of: "summarize-ticket@2.0.1", with: "summarize-ticket@2.0.0") }
        try change.commit()
        let check = try change.check()
        #expect(Set(check.violations.map(\.rule)) == ["version-bump", "version-order"], "\(check.violations)")
        #expect(check.violations.contains { $0.message.contains("prompt/sentiment-classify@0.4.2: content changed without a version bump") })
    }

    @Test("a registered version keeps its content; a removed required variable needs a major bump")
    func immutableAndBreaking() throws {
        let change = try ChangeFixture()
        // 1.3.0 stays registered at BASE (the chain keeps pinning it); 1.4.0 is registered with one content...
        try change.fixture.repo.tag("prompt/support-triage@v1.3.0", message: "register")
        try change.edit("prompts/support-triage.yaml") { $0.replacingOccurrences(of: "version: 1.3.0", with: "version: 1.4.0") }
        try change.commit()
        try change.fixture.repo.tag("prompt/support-triage@v1.4.0", message: "register")
        // ...and HEAD changes that content, dropping a required variable, without a major bump.
        try change.edit("prompts/support-triage.yaml") {
            $0.replacingOccurrences(of: "    - {name: body, type: string, required: true, maxLength: 8000}\n", with: "")
                .replacingOccurrences(of: "\\n\\n{{body}}", with: "")
        }
        try change.commit()
        let rules = try change.rules()
        let violations = try change.check().violations
        #expect(Set(rules) == ["breaking-change", "registered-immutable"], "\(violations)")
        #expect(try change.check().violations.first { $0.rule == "breaking-change" }?.message.contains("required variable 'body'") == true)
    }

    @Test("deleting an artifact still assigned to an environment is a violation; a HEAD that does not validate is one per error")
    func deletedAndInvalid() throws {
        let change = try ChangeFixture()
        try change.fixture.repo.tag("deployment/refund-bot@v0.7.0", message: "register")
        try change.fixture.repo.tag("deployment/refund-bot#dev#1", message: "assign")
        try change.fixture.repo.remove("registry/deployments/refund-bot.yaml")
        try change.fixture.repo.write("registry/prompts/broken.yaml", "apiVersion: cairn/v1\nkind: PromptTemplate\n")
        try change.commit()
        let check = try change.check()
        #expect(check.violations.contains { $0.rule == "deleted-while-assigned" && $0.message.contains("'dev'") })
        #expect(check.violations.contains { $0.rule == "validate" && $0.message.hasPrefix("registry/prompts/broken.yaml:1:1:") })
    }
}
