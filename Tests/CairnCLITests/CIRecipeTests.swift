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

    /// What a recipe runs against: the tarball a release would attach (made from the binary under test), and a
    /// registry repository with a bare `origin` whose `feature` branch (checked out) bumps a prompt on top of `main`.
    final class Setup {
        let cli = DayOneCLITests()
        let dist: URL
        let tarballURL: String
        let origin: TestRepository
        let repo: TestRepository

        init() throws {
            let root = SourceTree.root
            dist = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-ci-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dist, withIntermediateDirectories: true)
            let packed = try cli.launch(URL(fileURLWithPath: "/bin/bash"), [root.appendingPathComponent("scripts/dist.sh").path, CLITests.binary.resolvingSymlinksInPath().path],
                                        in: dist, environment: ["TMPDIR": dist.path, "CAIRN_DIST_DIR": dist.appendingPathComponent("out").path])
            #expect(packed.status == 0, "\(packed.output)")
            let tarball = try #require(try FileManager.default.contentsOfDirectory(atPath: dist.appendingPathComponent("out").path).first { $0.hasSuffix(".tar.gz") })
            tarballURL = "file://" + dist.appendingPathComponent("out/" + tarball).path
            origin = try TestRepository(bare: true)
            repo = try CLITests.exampleRepository()
            _ = try repo.git(["branch", "-M", "main"])
            _ = try repo.git(["remote", "add", "origin", origin.path])
            _ = try repo.git(["push", "-q", "origin", "main"])
            _ = try repo.git(["fetch", "-q", "origin"])
            _ = try repo.git(["checkout", "-q", "-b", "feature"])
            #expect(try cli.run(["bump", "prompt/sentiment-classify", "minor", "--path", "registry"], in: repo.directory).status == 0)
            _ = try repo.commitAll("sentiment-classify 0.5.0")
        }

        deinit { try? FileManager.default.removeItem(at: dist) }

        /// The merge (as the server makes it): main fast-forwarded to the feature branch, pushed, and checked out.
        func merge() throws {
            _ = try repo.git(["checkout", "-q", "main"])
            _ = try repo.git(["merge", "-q", "--ff-only", "feature"])
            _ = try repo.git(["push", "-q", "origin", "main"])
        }
    }

    @Test("pull-request.yml and main.yml run as written on a pull request and after the merge")
    func recipesRun() throws {
        let setup = try Setup()
        let (cli, dist, repo, origin, tarballURL, root) = (setup.cli, setup.dist, setup.repo, setup.origin, setup.tarballURL, SourceTree.root)

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
        try setup.merge()
        try runWorkflow("main.yml", expressions: [:])
        #expect(try origin.git(["tag", "-l", "prompt/sentiment-classify@v0.5.0"]) == "prompt/sentiment-classify@v0.5.0")
        let audit = try cli.run(["audit", "log", "--path", "registry"], in: repo.directory)
        #expect(audit.output.contains("octocat register"), "\(audit.output)")
    }

    @Test("gitlab-ci.yml's jobs run as written: the merge-request gate, then registration after the merge")
    func gitlabRuns() throws {
        let setup = try Setup()
        let node = try HardenedYAMLLoader().load(Array(try Data(contentsOf: SourceTree.root.appendingPathComponent("docs/ci/gitlab-ci.yml"))))
        func value(_ node: YAMLNode?, _ key: String) -> YAMLNode? {
            guard case .mapping(let pairs, _)? = node else { return nil }
            return pairs.first { $0.key.text == key }?.value
        }
        func lines(_ node: YAMLNode?) -> [String] {
            guard case .sequence(let items, _)? = node else { return [] }
            return items.compactMap { if case .scalar(let scalar) = $0 { scalar.text } else { nil } }
        }
        let install = lines(value(value(node, "default"), "before_script"))
        #expect(install.count == 3)
        /// A job as GitLab's runner runs it: the default before_script and the job's script in one shell.
        func runJob(_ name: String, _ variables: [String: String?]) throws {
            let script = install + lines(value(value(node, name), "script"))
            #expect(script.count > install.count, "\(name) has no script")
            let result = try setup.cli.launch(URL(fileURLWithPath: "/bin/bash"), ["-eo", "pipefail", "-c", script.joined(separator: "\n")], in: setup.repo.directory,
                                              environment: variables.merging([
                "PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "TMPDIR": setup.dist.appendingPathComponent("runner-\(name)").path,
                "REGISTRY": "registry", "CAIRN_TARBALL_URL": setup.tarballURL, "GITLAB_CI": "true", "GITLAB_USER_LOGIN": "gitlab-user",
                "CI_SERVER_HOST": "gitlab.example.com", "CI_PROJECT_PATH": "team/registry", "CAIRN": nil, "CAIRN_ACTOR": nil, "CAIRN_GITLAB_TOKEN": nil,
            ]) { job, _ in job })
            #expect(result.status == 0, "\(name):\n\(result.output)")
        }
        try runJob("cairn-check", ["CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"])
        #expect(FileManager.default.fileExists(atPath: setup.repo.directory.appendingPathComponent("diff.md").path))
        try setup.merge()
        try runJob("cairn-register", ["CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main", "CAIRN_PUSH_URL": setup.origin.path])
        #expect(try setup.origin.git(["tag", "-l", "prompt/sentiment-classify@v0.5.0"]) == "prompt/sentiment-classify@v0.5.0")
        let audit = try setup.cli.run(["audit", "log", "--path", "registry"], in: setup.repo.directory)
        #expect(audit.output.contains("gitlab-user register"), "\(audit.output)")
        // A gate that fails fails the job: a registered version edited without a bump.
        _ = try setup.repo.git(["checkout", "-q", "-b", "edit"])
        let path = "registry/prompts/sentiment-classify.yaml"
        let text = try String(contentsOf: setup.repo.directory.appendingPathComponent(path), encoding: .utf8)
        try setup.repo.write(path, text.replacingOccurrences(of: "escalated sooner", with: "escalated much sooner"))
        _ = try setup.repo.commitAll("edit without a bump")
        let script = install + lines(value(value(node, "cairn-check"), "script"))
        let refused = try setup.cli.launch(URL(fileURLWithPath: "/bin/bash"), ["-eo", "pipefail", "-c", script.joined(separator: "\n")], in: setup.repo.directory,
                                           environment: ["PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "TMPDIR": setup.dist.appendingPathComponent("runner-refused").path,
                                                         "REGISTRY": "registry", "CAIRN_TARBALL_URL": setup.tarballURL, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
                                                         "CAIRN": nil, "CAIRN_GITLAB_TOKEN": nil])
        #expect(refused.status == 1, "\(refused.output)")
    }
}
