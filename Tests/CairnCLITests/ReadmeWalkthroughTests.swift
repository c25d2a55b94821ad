import CairnTestSupport
import Foundation
import Testing

/// The README's walkthrough, run as written: the block under "Shipping a new prompt version", line by line in bash.
@Suite("README walkthrough")
struct ReadmeWalkthroughTests {
    @Test("'Shipping a new prompt version' runs as written and ends with dev back on support-bot 1.4.0")
    func shippingANewPromptVersion() throws {
        let readme = try String(contentsOf: SourceTree.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Shipping a new prompt version"))
        let rest = readme[section.upperBound...]
        let open = try #require(rest.range(of: "```sh\n")), close = try #require(rest[open.upperBound...].range(of: "```"))
        let script = String(rest[open.upperBound..<close.lowerBound])

        // The starting point the section names.
        let cli = DayOneCLITests()
        let repo = try CLITests.exampleRepository()
        #expect(try cli.run(["register", "--all", "--path", "registry", "--actor", "ci"], in: repo.directory).status == 0)
        #expect(try cli.run(["promote", "deployment/support-bot@1.4.0", "--to", "dev", "--path", "registry", "--actor", "ci"], in: repo.directory).status == 0)
        #expect(try cli.run(["apply", "--env", "dev", "--path", "registry", "--auto-approve", "--actor", "ci"], in: repo.directory).status == 0)

        let folder = CLITests.binary.resolvingSymlinksInPath().deletingLastPathComponent().path
        let result = try cli.launch(URL(fileURLWithPath: "/bin/bash"), ["-euc", script], in: repo.directory,
                                    environment: ["PATH": folder + ":/usr/bin:/bin", "CAIRN": nil, "CAIRN_ACTOR": "readme",
                                                  "GIT_AUTHOR_NAME": "Reader", "GIT_AUTHOR_EMAIL": "reader@example.com",
                                                  "GIT_COMMITTER_NAME": "Reader", "GIT_COMMITTER_EMAIL": "reader@example.com"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("deployment/support-bot 1.4.0 → 1.4.1"), "\(result.output)")
        #expect(result.output.contains("deployment/support-bot@1.4.0"), "\(result.output)")  // status after the rollback
        let refused = try cli.run(["promote", "prompt/sentiment-classify@0.5.0", "--to", "dev", "--path", "registry"], in: repo.directory)
        #expect(refused.status == 1 && refused.output.contains("promote a version of chain/support-router that accepts 0.5.0"), "\(refused.output)")
    }
}
