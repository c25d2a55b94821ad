import CairnManifest
import CairnModel
import Foundation
import Testing

@Suite("Typed artifact models")
struct ArtifactModelTests {
    static let example: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("registry-example")
    }()

    @Test("every artifact of registry-example decodes into its kind's Swift model")
    func exampleDecodes() throws {
        var kinds: [ArtifactKind: Int] = [:]
        let files = FileManager.default.enumerator(atPath: Self.example.path)!.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".yaml") && $0 != "cairn.yaml" }
        for file in files {
            let parsed = try ParsedManifest.load([UInt8](try Data(contentsOf: Self.example.appendingPathComponent(file))), isConfig: false)
            let kind = try #require(parsed.kind, "\(file)")
            let artifact = try ArtifactDecoder.decode(parsed.value, kind: kind)
            #expect(artifact.kind == kind)
            #expect(SemVer(artifact.metadata.version) != nil)
            kinds[kind, default: 0] += 1
        }
        #expect(kinds == [.promptTemplate: 4, .chain: 2, .adapter: 2, .datasetManifest: 3, .deployment: 2])
    }

    @Test("fields land where the schema puts them")
    func fields() throws {
        let url = Self.example.appendingPathComponent("deployments/support-bot.yaml")
        let parsed = try ParsedManifest.load([UInt8](try Data(contentsOf: url)), isConfig: false)
        let artifact = try ArtifactDecoder.decode(parsed.value, kind: .deployment)
        guard case .deployment(let spec) = artifact.spec else {
            Issue.record("not a deployment")
            return
        }
        #expect(spec.target.chain == "chain/support-router@1.4.0")
        #expect(spec.gates?.first?.metric == "accuracy" && spec.gates?.first?.threshold == 0.9)
        // Gate results and approvals are evidence records now; the YAML's claims still decode where they are given.
        #expect(spec.gates?.first?.result == nil && artifact.compliance.approvals == nil)
        #expect(artifact.compliance.pii?.contains == true)
        let document = try ParsedManifest.load(Array("""
            apiVersion: cairn/v1
            kind: Deployment
            metadata: {name: bot, version: 1.0.0, owner: team}
            compliance:
              accountable: a@example.com
              riskClass: minimal
              approvals: [{by: jane@example.com, at: 2026-10-23T09:00:00Z}, {by: li@example.com, at: 2026-10-23T09:40:00Z, role: sre}]
            spec:
              target: {chain: chain/support-router@1.4.0}
              gates: [{dataset: dataset/triage-eval-set@1.2.0, metric: accuracy, threshold: 0.9, result: {value: 0.92, at: 2026-10-22T18:00:00Z}}]
              environments: [dev]
            """.utf8), isConfig: false).value
        let claimed = try ArtifactDecoder.decode(document, kind: .deployment)
        guard case .deployment(let claimedSpec) = claimed.spec else { Issue.record("not a deployment"); return }
        #expect(claimedSpec.gates?.first?.passes == true && claimed.compliance.approvals?.count == 2)
    }
}
