import CairnModel
import CairnRegistry
import CairnTestSupport
import Foundation
import Testing

@Suite("cairn bump")
struct VersionBumpTests {
    @Test("a bump re-pins and bumps every dependent up to the deployments, in place, and the PR gate passes")
    func bumpUpToDeployments() throws {
        let repo = try TestRepository()
        try repo.copy(from: SourceTree.registryExample, to: "registry")
        let base = try repo.commitAll("registry")
        let reader = RegistryReader(location: try RegistryLocation.open(directory: repo.path, path: "registry"))
        let changes = try VersionBump.bump(ArtifactID("prompt/sentiment-classify")!, .minor, reader: reader)
        #expect(changes.map(\.description) == [
            "prompt/sentiment-classify 0.4.2 → 0.5.0 (registry/prompts/sentiment-classify.yaml)",
            "chain/support-router 1.4.0 → 1.4.1 (registry/chains/support-router.yaml); re-pins prompt/sentiment-classify@0.5.0",
            "deployment/support-bot 1.4.0 → 1.4.1 (registry/deployments/support-bot.yaml); re-pins chain/support-router@1.4.1",
        ])
        // Only the version and pin texts changed: five lines in three files, comments and layout kept.
        let diff = try repo.git(["diff", "--numstat"])
        #expect(diff.split(separator: "\n").map { $0.split(separator: "\t").prefix(2).joined(separator: " ") } == ["2 2", "2 2", "1 1"])
        let head = try repo.commitAll("bump")
        let check = try PullRequestCheck(reader: reader, base: try reader.location.commit(base), head: try reader.location.commit(head))
        #expect(check.violations.isEmpty, "\(check.violations)")
        #expect(try reader.read(.commit(try reader.location.commit(head))).errorCount == 0)
        // A pin a range still satisfies is left alone: refund-assistant takes refund-policy-answer@^1.0.
        let minor = try VersionBump.bump(ArtifactID("prompt/refund-policy-answer")!, .minor, reader: reader)
        #expect(minor.map(\.id.description) == ["prompt/refund-policy-answer"])
        #expect(throws: CairnError.self) { try VersionBump.bump(ArtifactID("prompt/nope")!, .patch, reader: reader) }
    }
}
