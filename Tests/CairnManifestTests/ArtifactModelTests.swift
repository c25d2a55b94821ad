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
        #expect(spec.gates?.first?.passes == true)
        #expect(artifact.compliance.approvals?.count == 2)
        #expect(artifact.compliance.pii?.contains == true)
    }
}
