import CairnTestSupport
import Foundation
import Testing

/// Runs the built `cairn` binary the way users and CI do, and checks exit codes and output.
@Suite("cairn command line")
struct CLITests {
    /// The binary under test: CAIRN_BINARY, else the debug build (`make test` builds it before the tests run).
    static let binary = ProcessInfo.processInfo.environment["CAIRN_BINARY"].map(URL.init(fileURLWithPath:))
        ?? SourceTree.root.appendingPathComponent(".build/debug/cairn")

    /// Why a CLI test cannot run: it fails (never skips) when there is no binary to run.
    struct MissingBinary: Error, CustomStringConvertible {
        var description: String { "no cairn binary at \(CLITests.binary.path): run 'swift build --product cairn' (make test does), or set CAIRN_BINARY" }
    }

    /// registry-example committed under `registry/`, with annotated `tags` at HEAD.
    static func exampleRepository(tags: [String] = []) throws -> TestRepository {
        let repo = try TestRepository()
        try repo.copy(from: SourceTree.registryExample, to: "registry")
        try repo.commitAll()
        for tag in tags { try repo.tag(tag, message: tag.contains("#") ? "assign" : "register") }
        return repo
    }

    func run(_ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else { throw MissingBinary() }
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("validate exits 0 when valid, 1 with findings, 2 when it cannot run")
    func validateExitCodes() async throws {
        let repo = try TestRepository()
        try repo.copy(from: SourceTree.registryExample, to: "registry")
        try repo.commitAll()
        #expect(try run(["validate", "--path", "registry"], in: repo.directory).status == 0)
        #expect(try run(["validate", "--path", "registry", "--ref", "no-such-branch"], in: repo.directory).status == 2)
        try repo.write("registry/prompts/bad.yaml", "apiVersion: cairn/v1\nkind: PromptTemplate\n")
        try repo.commitAll()
        let result = try run(["validate", "--path", "registry"], in: repo.directory)
        #expect(result.status == 1)
        #expect(result.output.contains("registry/prompts/bad.yaml:1:1: error: missing required field 'compliance' [schema]"))
        let json = try run(["validate", "--path", "registry", "--format", "json"], in: repo.directory)
        #expect(json.output.contains("\"valid\": false"))
    }

    @Test("render fills variables and names a missing one")
    func render() async throws {
        let repo = try TestRepository()
        try repo.copy(from: SourceTree.registryExample, to: "registry")
        try repo.commitAll()
        let ok = try run(["render", "prompt/summarize-ticket@2.0.1", "--path", "registry", "--var", "thread=Hi there"], in: repo.directory)
        #expect(ok.status == 0)
        #expect(ok.output.contains("at most 3 sentences"))
        let missing = try run(["render", "prompt/summarize-ticket@2.0.1", "--path", "registry"], in: repo.directory)
        #expect(missing.status == 1)
        #expect(missing.output.contains("missing required variable 'thread'"))
    }

    @Test("init in a new folder makes the repository on main, commits the registry, and its printed next steps run as written")
    func initValidates() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-init-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let initialized = try run(["init", directory.path], in: FileManager.default.temporaryDirectory)
        #expect(initialized.status == 0, "\(initialized.output)")
        #expect(initialized.output.contains("committed the registry") && initialized.output.contains("Next steps:"), "\(initialized.output)")
        let repo = TestRepository(adopting: directory)
        #expect(try repo.git(["rev-parse", "--abbrev-ref", "HEAD"]) == "main")
        #expect(try repo.git(["rev-list", "--count", "HEAD"]) == "1")
        #expect(try repo.git(["status", "--porcelain"]) == "")
        // The steps after `cd`, with their comments dropped, run in the new registry as printed.
        let steps = initialized.output.split(separator: "\n").drop { !$0.hasPrefix("Next steps:") }.dropFirst()
            .prefix { $0.hasPrefix("  ") }.map { $0.split(separator: "#")[0].trimmingCharacters(in: .whitespaces) }
        #expect(steps.first == "cd \(directory.path)" && steps.contains("cairn register --all"), "\(steps)")
        for step in steps.dropFirst() {
            let words = step.split(separator: " ").map(String.init)
            #expect(words.first == "cairn", "\(step)")
            let extra = words.contains("apply") ? ["--auto-approve", "--actor", "ci"] : words.contains("register") || words.contains("promote") ? ["--actor", "ci"] : []
            let result = try run(Array(words.dropFirst()) + extra, in: directory)
            #expect(result.status == 0, "\(step): \(result.output)")
        }
        #expect(try run(["status", "--env", "dev"], in: directory).output.contains("5 artifacts"))
        #expect(try run(["init", directory.path], in: FileManager.default.temporaryDirectory).status == 2)
    }
}

@Suite("cairn plan and apply on the command line")
struct ReconcileCLITests {
    @Test("plan exits 2 with changes, 0 without; a saved plan is refused once the state moved")
    func planApply() async throws {
        let repo = try CLITests.exampleRepository(tags: ["prompt/summarize-ticket@v2.0.1", "prompt/summarize-ticket#dev#1"])
        let cli = CLITests()
        #expect(try cli.run(["plan", "--env", "dev", "--path", "registry", "--out", "dev.plan"], in: repo.directory).status == 2)
        #expect(try cli.run(["apply", "--env", "dev", "--path", "registry", "--auto-approve", "--actor", "ci"], in: repo.directory).status == 0)
        let again = try cli.run(["plan", "--env", "dev", "--path", "registry", "--verbose"], in: repo.directory)
        #expect(again.status == 0)
        #expect(again.output.contains("declared state: cached (1 artifact)"))
        let stale = try cli.run(["apply", "--env", "dev", "dev.plan", "--path", "registry"], in: repo.directory)
        #expect(stale.status == 1)
        #expect(stale.output.contains("stale"))
        #expect(try cli.run(["plan", "--env", "nowhere", "--path", "registry"], in: repo.directory).status == 1)
        let verify = try cli.run(["audit", "verify", "--path", "registry"], in: repo.directory)
        #expect(verify.output.contains("intact: 2 records"))  // one apply, one refusal of the stale plan
        // CSV: a field holding commas or quotes is quoted, its quotes doubled (the compliance snapshot is JSON).
        let csv = try cli.run(["audit", "export", "--format", "csv", "--path", "registry"], in: repo.directory).output
        #expect(csv.hasPrefix("sequence,time,actor,action,"))
        #expect(csv.contains(",\"{\"\"compliance\"\":{\"\""))
        #expect(!csv.contains("\\\""))
    }
}

@Suite("One exit-code map")
struct ExitCodeTests {
    @Test("plan: 1 for anything wrong; others: 1 refused, 2 could not run")
    func exitCodes() async throws {
        let repo = try CLITests.exampleRepository(tags: ["deployment/refund-bot@v0.7.0", "deployment/refund-bot#staging#1", "prompt/support-triage@v1.3.0"])
        let cli = CLITests()
        func status(_ arguments: [String]) throws -> Int32 { try cli.run(arguments + ["--path", "registry"], in: repo.directory).status }
        #expect(try status(["plan", "--env", "nowhere"]) == 1)
        #expect(try status(["plan", "--env", "dev", "--ref", "no-such-ref"]) == 1)
        #expect(try status(["plan", "--env", "staging"]) == 1)  // its closure is not registered: problems
        #expect(try status(["apply", "--env", "nowhere", "--auto-approve"]) == 2)
        #expect(try status(["apply", "--env", "dev", "--auto-approve", "--ref", "no-such-ref"]) == 2)
        #expect(try status(["apply", "--env", "staging", "--auto-approve"]) == 1)  // refused: problems
        #expect(try status(["unlock", "--env", "dev", "no-such-lease"]) == 1)
        #expect(try status(["audit", "retire-anchor", "5", "--reason", "none"]) == 2)
        #expect(try status(["promote", "prompt/support-triage@1.3.0", "--to", "production"]) == 1)  // not live in staging
        #expect(try status(["promote", "prompt/summarize-ticket@2.0.1", "--to", "dev"]) == 2)  // not registered
        #expect(try status(["promote", "not-an-id", "--to", "dev"]) == 2)
        #expect(try status(["validate"]) == 0)
    }
}

@Suite("cairn diff, check, register, promote, show and history on the command line")
struct ReleaseCLITests {
    @Test("check exits 1 with one line per violation and 0 when clean; diff prints markdown; show and history read the tags")
    func lifecycle() async throws {
        let repo = try TestRepository()
        try repo.copy(from: SourceTree.registryExample, to: "registry")
        let base = try repo.commitAll()
        let cli = CLITests()
        let path = repo.directory.appendingPathComponent("registry/prompts/sentiment-classify.yaml")
        try repo.write("registry/prompts/sentiment-classify.yaml",
                       try String(contentsOf: path, encoding: .utf8).replacingOccurrences(of: "escalated sooner", with: "escalated at once"))
        _ = try repo.commitAll()
        let check = try cli.run(["check", base, "HEAD", "--path", "registry"], in: repo.directory)
        #expect(check.status == 1)
        #expect(check.output == "prompt/sentiment-classify@0.4.2: content changed without a version bump (registry/prompts/sentiment-classify.yaml) [version-bump]\n")
        let diff = try cli.run(["diff", base, "HEAD", "--path", "registry", "--format", "markdown"], in: repo.directory)
        #expect(diff.status == 0 && diff.output.contains("| `prompt/sentiment-classify` | changed | 0.4.2 → 0.4.2 |"))
        #expect(try cli.run(["check", "HEAD", "HEAD", "--path", "registry"], in: repo.directory).status == 0)

        #expect(try cli.run(["register", "--all", "--path", "registry", "--actor", "ci"], in: repo.directory).status == 0)
        #expect(try cli.run(["promote", "prompt/support-triage@1.3.0", "--to", "staging", "--path", "registry"], in: repo.directory).status == 1)
        #expect(try cli.run(["promote", "prompt/support-triage@1.3.0", "--to", "dev", "--path", "registry"], in: repo.directory).status == 0)
        let show = try cli.run(["show", "--path", "registry"], in: repo.directory)
        #expect(show.output.contains("prompt/support-triage           v1.3.0  v1.3.0"))
        let history = try cli.run(["history", "prompt/support-triage", "--path", "registry", "--format", "json"], in: repo.directory)
        #expect(history.output.contains("\"event\": \"assignment\"") && history.output.contains("\"ref\": \"prompt/support-triage#dev#1\""))
    }
}

@Suite("git hooks in real repositories")
struct HooksTests {
    /// A working repository with registry-example committed and cairn's client hooks installed, and a bare server
    /// with hooks/pre-receive; the hooks find the binary through CAIRN.
    struct Setup {
        let work: TestRepository
        let server: TestRepository

        init() throws {
            setenv("CAIRN", CLITests.binary.path, 1)
            work = try TestRepository()
            server = try TestRepository(bare: true)
            try work.copy(from: SourceTree.registryExample, to: "registry")
            _ = try work.commitAll("registry")
            let install = try CLITests().run(["hooks", "install", "--path", "registry"], in: work.directory)
            #expect(install.status == 0, "\(install.output)")
            let hook = server.directory.appendingPathComponent("hooks/pre-receive")
            try? FileManager.default.removeItem(at: hook)
            try FileManager.default.copyItem(at: SourceTree.root.appendingPathComponent("hooks/pre-receive"), to: hook)
            try server.git(["config", "cairn.path", "registry"])
            try work.git(["remote", "add", "origin", server.path])
            try work.git(["push", "-q", "origin", "HEAD:refs/heads/main"])
        }

        /// Runs git and returns its error output when it fails, nil when it succeeds.
        func refused(_ arguments: [String]) -> String? {
            do {
                try work.git(arguments)
                return nil
            } catch {
                return "\(error)"
            }
        }

        func editSentiment(_ from: String, _ to: String) async throws {
            let url = work.directory.appendingPathComponent("registry/prompts/sentiment-classify.yaml")
            try work.write("registry/prompts/sentiment-classify.yaml", try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: from, with: to))
        }
    }

    @Test("the installed hooks are the committed ones, calling this binary")
    func installed() async throws {
        let setup = try Setup()
        for name in ["pre-commit", "pre-push"] {
            let installed = try String(contentsOf: setup.work.directory.appendingPathComponent(".git/hooks/\(name)"), encoding: .utf8)
            let committed = try String(contentsOf: SourceTree.root.appendingPathComponent("hooks/\(name)"), encoding: .utf8)
            #expect(installed.replacingOccurrences(of: CLITests.binary.resolvingSymlinksInPath().path, with: "cairn") == committed)
        }
    }

    @Test("pre-commit refuses a staged registry that does not validate; pre-push refuses a change without a version bump")
    func clientHooks() async throws {
        let setup = try Setup()
        let head = try setup.work.git(["rev-parse", "HEAD"])
        try setup.work.write("registry/prompts/bad.yaml", "apiVersion: cairn/v1\n")
        try setup.work.git(["add", "-A"])
        #expect(setup.refused(["commit", "-qm", "bad"])?.contains("registry/prompts/bad.yaml:1:1: error: missing required field 'kind'") == true)
        #expect(try setup.work.git(["rev-parse", "HEAD"]) == head)
        try setup.work.git(["rm", "-q", "--cached", "registry/prompts/bad.yaml"])
        try setup.work.remove("registry/prompts/bad.yaml")

        try await setup.editSentiment("escalated sooner", "escalated at once")
        try setup.work.git(["commit", "-qam", "no bump"])
        #expect(setup.refused(["push", "-q", "origin", "HEAD:refs/heads/main"])?.contains("content changed without a version bump") == true)
        try await setup.editSentiment("version: 0.4.2", "version: 0.4.3")
        try await setup.editSentiment("sentiment-classify@0.4.2", "sentiment-classify@0.4.3")
        try setup.work.write("registry/chains/support-router.yaml", try String(contentsOf: setup.work.directory.appendingPathComponent("registry/chains/support-router.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "sentiment-classify@0.4.2", with: "sentiment-classify@0.4.3").replacingOccurrences(of: "version: 1.4.0", with: "version: 1.4.1"))
        try setup.work.write("registry/deployments/support-bot.yaml", try String(contentsOf: setup.work.directory.appendingPathComponent("registry/deployments/support-bot.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "support-router@1.4.0", with: "support-router@1.4.1").replacingOccurrences(of: "version: 1.4.0", with: "version: 1.4.1"))
        try setup.work.git(["commit", "-qam", "bumped"])
        let pushed = setup.refused(["push", "-q", "origin", "HEAD:refs/heads/main"])
        #expect(pushed == nil, "\(pushed ?? "")")
    }

    @Test("pre-receive refuses bad branches, lightweight, malformed and rewritten tags, and unregistered production assignments")
    func serverHook() async throws {
        let setup = try Setup()
        #expect(try CLITests().run(["register", "--all", "--path", "registry", "--actor", "ci"], in: setup.work.directory).status == 0)
        #expect(setup.refused(["push", "-q", "--no-verify", "origin", "--tags"]) == nil)
        try setup.work.git(["tag", "prompt/light#dev#1"])
        #expect(setup.refused(["push", "-q", "origin", "refs/tags/prompt/light#dev#1"])?.contains("lightweight tag") == true)
        try setup.work.git(["tag", "-a", "prompt/x@1.0", "-m", "no v"])
        #expect(setup.refused(["push", "-q", "origin", "refs/tags/prompt/x@1.0"])?.contains("does not follow the tag grammar") == true)
        try setup.work.git(["tag", "-a", "prompt/nope#production#1", "-m", "unregistered", "HEAD"])
        #expect(setup.refused(["push", "-q", "origin", "refs/tags/prompt/nope#production#1"])?.contains("not registered") == true)
        try setup.work.git(["tag", "-f", "-a", "prompt/support-triage@v1.3.0", "-m", "moved", "HEAD"])
        #expect(setup.refused(["push", "-q", "-f", "origin", "refs/tags/prompt/support-triage@v1.3.0"])?.contains("never moved") == true)
        try await setup.editSentiment("escalated sooner", "escalated at once")
        try setup.work.git(["commit", "-qam", "no bump"])
        #expect(setup.refused(["push", "-q", "--no-verify", "origin", "HEAD:refs/heads/main"])?.contains("pre-receive hook declined") == true)
    }

    @Test("pre-receive takes a new branch pushed with the tags it relies on, checked against the tags as they will be")
    func branchWithItsTags() async throws {
        let setup = try Setup()
        // 0.4.2 is registered here; the next commit replaces its file with 0.4.3 while the chain still pins 0.4.2,
        // which resolves only through the registration tag pushed in the same push.
        try setup.work.git(["tag", "-a", "prompt/sentiment-classify@v0.4.2", "-m", "register"])
        try await setup.editSentiment("version: 0.4.2", "version: 0.4.3")
        try await setup.editSentiment("escalated sooner", "escalated sooner (0.4.3)")
        try setup.work.git(["commit", "-qam", "sentiment 0.4.3"])
        let pushed = setup.refused(["push", "-q", "--no-verify", "origin", "HEAD:refs/heads/feature", "refs/tags/prompt/sentiment-classify@v0.4.2"])
        #expect(pushed == nil, "\(pushed ?? "")")
    }

    @Test("pre-receive refuses counters past the largest, unregistered versions where promoteFromPrevious applies, and malformed anchors; anchors are retired, never deleted")
    func serverHookHardening() async throws {
        let setup = try Setup()
        #expect(try CLITests().run(["register", "--all", "--path", "registry", "--actor", "ci"], in: setup.work.directory).status == 0)
        #expect(setup.refused(["push", "-q", "--no-verify", "origin", "--tags"]) == nil)

        try setup.work.git(["tag", "-a", "prompt/support-triage#dev#9223372036854775807", "-m", "forged"])
        #expect(setup.refused(["push", "-q", "origin", "refs/tags/prompt/support-triage#dev#9223372036854775807"])?.contains("beyond the largest") == true)
        // One that got onto the server before the hook refused such tags can be deleted.
        try setup.server.git(["tag", "-a", "prompt/support-triage#dev#99999999999", "-m", "forged earlier", "main"])
        #expect(setup.refused(["push", "-q", "origin", ":refs/tags/prompt/support-triage#dev#99999999999"]) == nil)
        try setup.work.git(["tag", "-a", "prompt/nope#staging#1", "-m", "unregistered"])
        #expect(setup.refused(["push", "-q", "origin", "refs/tags/prompt/nope#staging#1"])?.contains("cannot have come from 'dev'") == true)

        try setup.work.git(["tag", "-a", "cairn-audit/999", "-m", "bogus"])
        #expect(setup.refused(["push", "-q", "origin", "refs/tags/cairn-audit/999"])?.contains("no 'hash:' line") == true)
        try setup.work.git(["tag", "cairn-audit/998"])
        #expect(setup.refused(["push", "-q", "origin", "refs/tags/cairn-audit/998"])?.contains("lightweight") == true)
        try setup.work.git(["tag", "-a", "cairn-audit/x", "-m", "x"])
        #expect(setup.refused(["push", "-q", "origin", "refs/tags/cairn-audit/x"])?.contains("is not an audit anchor") == true)

        let hash = String(repeating: "ab", count: 32)
        try setup.work.git(["tag", "-f", "-a", "cairn-audit/999", "-m", "cairn audit anchor\nsequence: 999\nhash: \(hash)"])
        #expect(setup.refused(["push", "-q", "origin", "refs/tags/cairn-audit/999"]) == nil)
        #expect(setup.refused(["push", "-q", "origin", ":refs/tags/cairn-audit/999"])?.contains("retire-anchor") == true)
        try setup.work.git(["tag", "-a", "cairn-audit-retired/7", "-m", "retire\n\nreason: no such anchor"])
        #expect(setup.refused(["push", "-q", "origin", "refs/tags/cairn-audit-retired/7"])?.contains("does not exist") == true)
        try setup.work.git(["tag", "-a", "cairn-audit-retired/999", "-m", "retire audit anchor cairn-audit/999\n\nactor: ops\nreason: forged"])
        #expect(setup.refused(["push", "-q", "origin", "refs/tags/cairn-audit-retired/999"]) == nil)
    }

    @Test("pre-receive judges promoteFromPrevious against the deployed state named by git config cairn.state, as apply does")
    func serverHookSeesTheStore() async throws {
        let setup = try Setup()
        let cli = CLITests()
        let work = setup.work.directory
        #expect(try cli.run(["register", "--all", "--path", "registry", "--actor", "ci"], in: work).status == 0)
        #expect(try cli.run(["promote", "prompt/sentiment-classify@0.4.2", "--to", "dev", "--path", "registry", "--actor", "ci"], in: work).status == 0)
        #expect(setup.refused(["push", "-q", "--no-verify", "origin", "--tags"]) == nil)
        let registration = try setup.work.git(["rev-list", "-n", "1", "prompt/sentiment-classify@v0.4.2"])
        try setup.work.git(["tag", "-a", "prompt/sentiment-classify#staging#5", "-m", "by hand", registration])
        // dev is applied here, so this store has 0.4.2 deployed in dev.
        #expect(try cli.run(["apply", "--env", "dev", "--path", "registry", "--auto-approve", "--actor", "ci"], in: work).status == 0)
        let store = setup.work.path + "/registry/.cairn/state.sqlite"
        // A store that does not exist is an error, not an empty state that would refuse every promotion.
        let other = try TestRepository()
        try setup.server.git(["config", "cairn.state", other.path + "/nothing.sqlite"])
        #expect(setup.refused(["push", "-q", "origin", "refs/tags/prompt/sentiment-classify#staging#5"])?.contains("does not exist") == true)
        // A store in which dev runs nothing (0.4.2 only assigned there, by the tags): refused, as apply would.
        let empty = try TestRepository()
        try empty.copy(from: SourceTree.registryExample, to: "registry")
        _ = try empty.commitAll("registry")
        #expect(try cli.run(["apply", "--env", "dev", "--path", "registry", "--auto-approve", "--actor", "ci"], in: empty.directory).status == 0)
        try setup.server.git(["config", "cairn.state", empty.path + "/registry/.cairn/state.sqlite"])
        #expect(setup.refused(["push", "-q", "origin", "refs/tags/prompt/sentiment-classify#staging#5"])?.contains("not deployed there") == true)
        // The store where dev was applied: deployed there, accepted.
        try setup.server.git(["config", "cairn.state", store])
        let accepted = setup.refused(["push", "-q", "origin", "refs/tags/prompt/sentiment-classify#staging#5"])
        #expect(accepted == nil, "\(accepted ?? "")")
    }

    @Test("hooks install writes into core.hooksPath when it is set, and the hook runs from there")
    func hooksPath() async throws {
        setenv("CAIRN", CLITests.binary.path, 1)
        let work = try TestRepository()
        try work.copy(from: SourceTree.registryExample, to: "registry")
        _ = try work.commitAll("registry")
        try work.git(["config", "core.hooksPath", ".githooks"])
        let install = try CLITests().run(["hooks", "install", "--path", "registry"], in: work.directory)
        #expect(install.status == 0, "\(install.output)")
        #expect(install.output.contains(".githooks/pre-commit"))
        #expect(FileManager.default.isExecutableFile(atPath: work.directory.appendingPathComponent(".githooks/pre-commit").path))
        try work.write("registry/prompts/bad.yaml", "apiVersion: cairn/v1\n")
        try work.git(["add", "-A"])
        #expect(throws: (any Error).self) { try work.git(["commit", "-qm", "bad"]) }
    }
}
