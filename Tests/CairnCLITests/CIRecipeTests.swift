import CairnManifest
import CairnTestSupport
import Foundation
import Testing

/// docs/ci's workflows, run: every `run:` step of the registry recipes, in order, in a temporary repository, as a
/// GitHub runner would (the tarball `make dist` makes, `$GITHUB_PATH`, `origin` a bare repository), so that they
/// cannot rot. Steps that call GitHub's API (`gh`) are left out.
@Suite("CI recipes")
struct CIRecipeTests {
    /// The `run:` texts of every job's steps, in order.
    static func steps(_ workflow: URL) throws -> [String] {
        let node = try HardenedYAMLLoader().load(Array(try Data(contentsOf: workflow)))
        func value(_ node: YAMLNode, _ key: String) -> YAMLNode? {
            guard case .mapping(let pairs, _) = node else { return nil }
            return pairs.first { $0.key.text == key }?.value
        }
        guard let jobs = value(node, "jobs"), case .mapping(let pairs, _) = jobs else { return [] }
        return pairs.flatMap { job -> [String] in
            guard let steps = value(job.value, "steps"), case .sequence(let items, _) = steps else { return [] }
            return items.compactMap { step in
                guard let run = value(step, "run"), case .scalar(let scalar) = run else { return nil }
                return scalar.text
            }
        }
    }

    @Test("pull-request.yml and main.yml run as written on a pull request and after the merge")
    func recipesRun() throws {
        let cli = DayOneCLITests()
        let root = SourceTree.root
        // The tarball a release would attach, made from the binary under test.
        let dist = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-ci-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dist, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dist) }
        let packed = try cli.launch(URL(fileURLWithPath: "/bin/bash"), [root.appendingPathComponent("scripts/dist.sh").path, CLITests.binary.resolvingSymlinksInPath().path],
                                    in: dist, environment: ["TMPDIR": dist.path])
        #expect(packed.status == 0, "\(packed.output)")
        let tarball = try #require(try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("dist").path).first { $0.hasSuffix(".tar.gz") })
        let tarballURL = "file://" + root.appendingPathComponent("dist/" + tarball).path

        // A registry repository with a pull request: main has registry-example, the branch bumps a prompt.
        let origin = try TestRepository(bare: true)
        let repo = try CLITests.exampleRepository()
        _ = try repo.git(["branch", "-M", "main"])
        _ = try repo.git(["remote", "add", "origin", origin.path])
        _ = try repo.git(["push", "-q", "origin", "main"])
        _ = try repo.git(["fetch", "-q", "origin"])
        _ = try repo.git(["checkout", "-q", "-b", "feature"])
        #expect(try cli.run(["bump", "prompt/sentiment-classify", "minor", "--path", "registry"], in: repo.directory).status == 0)
        _ = try repo.commitAll("sentiment-classify 0.5.0")

        func runWorkflow(_ name: String, expressions: [String: String]) throws {
            let githubPath = dist.appendingPathComponent("github-path-\(name)")
            FileManager.default.createFile(atPath: githubPath.path, contents: nil)
            for step in try Self.steps(root.appendingPathComponent("docs/ci/" + name)) where !step.contains("gh ") {
                var script = step
                for (expression, value) in expressions { script = script.replacingOccurrences(of: "${{ \(expression) }}", with: value) }
                #expect(!script.contains("${{"), "\(name): an expression the test does not fill: \(script)")
                let added = try String(contentsOf: githubPath, encoding: .utf8).split(separator: "\n").joined(separator: ":")
                let result = try cli.launch(URL(fileURLWithPath: "/bin/bash"), ["-euo", "pipefail", "-c", script], in: repo.directory, environment: [
                    "PATH": (added.isEmpty ? "" : added + ":") + "/usr/bin:/bin:/usr/sbin:/sbin", "GITHUB_PATH": githubPath.path,
                    "RUNNER_TEMP": dist.appendingPathComponent("runner-\(name)").path, "REGISTRY": "registry", "CAIRN_TARBALL_URL": tarballURL,
                    "GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octocat", "CAIRN": nil, "CAIRN_ACTOR": nil,
                ])
                #expect(result.status == 0, "\(name): \(script)\n\(result.output)")
            }
        }
        // The pull request: the gate passes (the bump re-pinned what pins the prompt).
        try runWorkflow("pull-request.yml", expressions: ["github.base_ref": "main"])
        #expect(FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("diff.md").path))
        // The merge: register and push the tags to origin.
        _ = try repo.git(["checkout", "-q", "main"])
        _ = try repo.git(["merge", "-q", "--ff-only", "feature"])
        try runWorkflow("main.yml", expressions: [:])
        #expect(try origin.git(["tag", "-l", "prompt/sentiment-classify@v0.5.0"]) == "prompt/sentiment-classify@v0.5.0")
        let audit = try cli.run(["audit", "log", "--path", "registry"], in: repo.directory)
        #expect(audit.output.contains("octocat register"), "\(audit.output)")
    }
}
