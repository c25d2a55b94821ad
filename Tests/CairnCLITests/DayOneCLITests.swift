import CairnTestSupport
import Foundation
import Testing

/// What a new user meets first: names that do not exist, apply's question, and who is recorded as acting.
@Suite("Errors that point to the fix, apply's question, the actor")
struct DayOneCLITests {
    /// Runs `executable` (cairn unless named) with `input` on its stdin (a pipe: not a terminal, written after
    /// `delay` seconds) and `environment` over this process's (nil values removed).
    func launch(_ executable: URL = CLITests.binary, _ arguments: [String], in directory: URL, input: String = "", delay: Double = 0,
                environment: [String: String?] = [:]) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw CLITests.MissingBinary() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var variables = ProcessInfo.processInfo.environment
        for (name, value) in environment { variables[name] = value }
        process.environment = variables
        let output = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = stdin
        try process.run()
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func run(_ arguments: [String], in directory: URL, input: String = "", environment: [String: String?] = [:]) throws -> (status: Int32, output: String) {
        try launch(CLITests.binary, arguments, in: directory, input: input, environment: environment)
    }

    /// registry-example registered, support-triage promoted to dev (not applied).
    func promoted() throws -> TestRepository {
        let repo = try CLITests.exampleRepository()
        #expect(try run(["register", "--all", "--path", "registry", "--actor", "ci"], in: repo.directory).status == 0)
        #expect(try run(["promote", "prompt/support-triage@1.3.0", "--to", "dev", "--path", "registry", "--actor", "ci"], in: repo.directory).status == 0)
        return repo
    }

    @Test("after a bump, promoting the prompt alone is refused with the promotion that works, and that one does")
    func promoteSuggestsTheDeployment() throws {
        let repo = try CLITests.exampleRepository()
        let registry = ["--path", "registry", "--actor", "ci"]
        #expect(try run(["register", "--all"] + registry, in: repo.directory).status == 0)
        #expect(try run(["promote", "deployment/support-bot@1.4.0", "--to", "dev"] + registry, in: repo.directory).status == 0)
        #expect(try run(["bump", "prompt/sentiment-classify", "minor", "--path", "registry"], in: repo.directory).status == 0)
        _ = try repo.commitAll("sentiment-classify 0.5.0")
        #expect(try run(["register", "--all"] + registry, in: repo.directory).status == 0)
        let refused = try run(["promote", "prompt/sentiment-classify@0.5.0", "--to", "dev"] + registry, in: repo.directory)
        #expect(refused.status == 1, "\(refused.output)")
        let suggestion = "'cairn promote deployment/support-bot@1.4.1 --to dev'"
        #expect(refused.output.contains("promote deployment/support-bot@1.4.1 instead (\(suggestion))"), "\(refused.output)")
        #expect(try run(["promote", "deployment/support-bot@1.4.1", "--to", "dev"] + registry, in: repo.directory).status == 0)
        let plan = try run(["plan", "--env", "dev", "--path", "registry"], in: repo.directory)
        #expect(plan.status == 2 && plan.output.contains("prompt/sentiment-classify@0.5.0") && !plan.output.contains("problem"), "\(plan.output)")
    }

    @Test("an unknown environment or artifact is an error (exit 2) that names the closest one")
    func unknownNames() throws {
        let repo = try promoted()
        let cases: [([String], String)] = [
            (["status", "--env", "prodution"], "did you mean 'production'?"),
            (["audit", "log", "--env", "prodd"], "did you mean 'production'?"),
            (["plan", "--env", "stagin"], "did you mean 'staging'?"),
            (["history", "prompt/support-triag"], "did you mean prompt/support-triage?"),
            (["show", "prompt/suport-triage"], "did you mean prompt/support-triage?"),
            (["history", "--env", "dve"], "did you mean 'dev'?"),
            (["get", "prompt/support-triage", "--env", "deev"], "did you mean 'dev'?"),
            (["promote", "prompt/support-triag@1.3.0", "--to", "dev"], "no tag names prompt/support-triag; did you mean prompt/support-triage?"),
            (["promote", "prompt/support-triage@9.9.9", "--to", "dev"], "is not registered (registered: 1.3.0); commit it, then run 'cairn register"),
        ]
        for (arguments, hint) in cases {
            let result = try run(arguments + ["--path", "registry"], in: repo.directory)
            // plan exits 1 for anything that went wrong (Terraform's -detailed-exitcode); the others 2.
            #expect(result.status == (arguments[0] == "plan" ? 1 : 2), "\(arguments): \(result.output)")
            #expect(result.output.contains(hint), "\(arguments): \(result.output)")
        }
        // Known but empty is not an error.
        #expect(try run(["status", "--env", "production", "--path", "registry"], in: repo.directory).status == 0)
        #expect(try run(["audit", "log", "--env", "staging", "--path", "registry"], in: repo.directory).status == 0)
    }

    @Test("apply shows the plan, refuses at once with no terminal to ask on, and does not ask about a plan it would refuse")
    func applyLikeTerraform() throws {
        let repo = try promoted()
        let asked = try run(["apply", "--env", "dev", "--path", "registry"], in: repo.directory, input: "yes\n")
        #expect(asked.status == 1)
        #expect(asked.output.contains("+ create prompt/support-triage") && asked.output.contains("no terminal to ask on"), "\(asked.output)")
        #expect(!asked.output.contains("Apply these changes"))
        #expect(try run(["status", "--env", "dev", "--path", "registry"], in: repo.directory).output.contains("0 artifacts"))

        // --auto-approve shows the plan too.
        let approved = try run(["apply", "--env", "dev", "--path", "registry", "--auto-approve", "--actor", "ci"], in: repo.directory)
        #expect(approved.status == 0 && approved.output.contains("+ create prompt/support-triage") && approved.output.contains("applied"), "\(approved.output)")

        // staging takes versions from dev only when they are deployed there; sentiment-classify is not: refused
        // without a question (and audited), even with no terminal.
        let registration = try repo.git(["rev-list", "-n", "1", "prompt/sentiment-classify@v0.4.2"])
        try repo.tag("prompt/sentiment-classify#staging#3", at: registration, message: "by hand")
        let refused = try run(["apply", "--env", "staging", "--path", "registry", "--actor", "ci"], in: repo.directory)
        #expect(refused.status == 1)
        #expect(refused.output.contains("refused by policy 'promoteFromPrevious'") && !refused.output.contains("no terminal"), "\(refused.output)")
        #expect(try run(["audit", "log", "--env", "staging", "--path", "registry"], in: repo.directory).output.contains("refuse"))
    }

    @Test("on a terminal, the question is on screen before apply waits, and 'yes' applies")
    func applyOnATerminal() throws {
        let repo = try promoted()
        // script(1) gives cairn a terminal; what is typed reaches it through that terminal.
        let command = "\(CLITests.binary.path) apply --env dev --path registry --actor alice"
        // Typed once the question can be on screen: a terminal drops nothing, but give cairn time to get there.
        let result = try launch(URL(fileURLWithPath: "/usr/bin/script"), ["-qec", command, "/dev/null"], in: repo.directory, input: "yes\n", delay: 1.5)
        #expect(result.output.contains("Apply these changes to 'dev'? Only 'yes' is accepted:"), "\(result.output)")
        #expect(result.output.contains("applied 2 changes"), "\(result.output)")
    }

    @Test("with no --actor, CAIRN_ACTOR or CI identity, the audit record and the tag's tagger are git's user.name")
    func actor() throws {
        // Through the command line: the audit record and the tag's tagger say the same.
        let example = try CLITests.exampleRepository()
        _ = try example.git(["config", "user.name", "Jane Doe"])
        #expect(try run(["register", "prompt/support-triage@1.3.0", "--path", "registry"], in: example.directory,
                        environment: ["CAIRN_ACTOR": nil, "GITHUB_ACTIONS": nil, "GITLAB_CI": nil]).status == 0)
        let audit = try run(["audit", "log", "--path", "registry"], in: example.directory)
        #expect(audit.output.contains("Jane Doe register"), "\(audit.output)")
        #expect(try example.git(["for-each-ref", "--format=%(taggername)", "refs/tags/prompt/support-triage@v1.3.0"]) == "Jane Doe")
    }
}

extension DayOneCLITests {
    @Test("a registry at a repository's root ignores YAML that is not cairn's, and still checks what claims to be")
    func foreignYAML() throws {
        let repo = try TestRepository()
        try repo.copy(from: SourceTree.registryExample, to: "")
        try repo.write("docker-compose.yml", "services:\n  web: {image: nginx}\n")
        try repo.write("deploy/service.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n")
        try repo.write("playbook.yml", "- hosts: all\n  tasks: []\n")
        _ = try repo.commitAll("registry at the root")
        let clean = try run(["validate"], in: repo.directory)
        #expect(clean.status == 0 && clean.output.contains("0 errors"), "\(clean.output)")
        try repo.write("prompts/typo.yaml", "kind: PromptTemplate\nmetadata: {name: typo, version: 0.1.0}\n")
        _ = try repo.commitAll("an artifact without apiVersion")
        let typo = try run(["validate"], in: repo.directory)
        #expect(typo.status == 1 && typo.output.contains("prompts/typo.yaml:1:1: error"), "\(typo.output)")
    }

    @Test("every command's --help ends with examples and the exit statuses it uses")
    func helpHasExamples() throws {
        let commands = ["validate", "render", "init", "plan", "apply", "status", "get", "audit log", "audit verify", "audit export",
                        "audit anchor", "audit retire-anchor", "report", "unlock", "show", "history", "register", "promote", "rollback",
                        "hold", "release", "unassign", "deprecate", "bump", "version", "schemas export", "diff", "check", "hooks install", "hooks run", "serve", "state migrate", "state backup"]
        let folder = FileManager.default.temporaryDirectory
        for command in commands {
            let help = try run(command.split(separator: " ").map(String.init) + ["--help"], in: folder)
            #expect(help.status == 0 && help.output.contains("Examples:\n  cairn ") && help.output.contains("Exit status: 0"), "\(command): \(help.output)")
        }
    }

    @Test("completions offer the registry's environments, artifacts and versions")
    func completions() throws {
        let repo = try promoted()
        // What the generated shell scripts run when TAB is pressed.
        let environments = try run(["---completion", "status", "--", "--env", "5", "1", "cairn", "status", "--path", "registry", "--env", "s"], in: repo.directory)
        #expect(environments.output.split(separator: "\n") == ["staging"], "\(environments.output)")
        let artifacts = try run(["---completion", "history", "--", "positional@0", "4", "7", "cairn", "history", "--path", "registry", "prompt/"], in: repo.directory)
        #expect(artifacts.output.split(separator: "\n").contains("prompt/support-triage"), "\(artifacts.output)")
        let versions = try run(["---completion", "promote", "--", "positional@0", "4", "9", "cairn", "promote", "--path", "registry", "prompt/su"], in: repo.directory)
        #expect(versions.output.split(separator: "\n").contains("prompt/support-triage@1.3.0"), "\(versions.output)")
    }

    @Test("right after init, with nothing committed, commands say to commit or to use --worktree")
    func nothingCommitted() throws {
        let repo = try TestRepository()
        #expect(try run(["init", "."], in: repo.directory).status == 0)
        let validated = try run(["validate"], in: repo.directory)
        #expect(validated.status == 2 && validated.output.contains("no commit yet") && validated.output.contains("--worktree"), "\(validated.output)")
        #expect(!validated.output.contains("--ref"))
        #expect(try run(["validate", "--worktree"], in: repo.directory).status == 0)
        #expect(try run(["plan", "--env", "dev"], in: repo.directory).output.contains("git add -A && git commit"))
    }

    @Test("cairn finds its registry from the current folder, as git finds .git: the nearest cairn.yaml upward")
    func discovery() throws {
        let repo = try promoted()
        let inside = repo.directory.appendingPathComponent("registry/prompts")
        let validated = try run(["validate"], in: repo.directory.appendingPathComponent("registry"))
        #expect(validated.status == 0 && validated.output.contains("0 errors"), "\(validated.output)")
        let planned = try run(["plan", "--env", "dev"], in: inside)
        #expect(planned.status == 2 && planned.output.contains("+ create prompt/support-triage"), "\(planned.output)")
        // Above the registry there is no cairn.yaml: the root is the registry, which has none.
        #expect(try run(["validate"], in: repo.directory).output.contains("no cairn.yaml at the registry root"))
    }

    @Test("the binary is one file: copied alone into an empty folder, it validates a registry")
    func oneFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-alone-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("cairn")
        try FileManager.default.copyItem(at: CLITests.binary.resolvingSymlinksInPath(), to: copy)
        let repo = try CLITests.exampleRepository()
        let result = try launch(copy, ["validate", "--path", "registry"], in: repo.directory)
        #expect(result.status == 0 && result.output.contains("0 errors"), "\(result.output)")
        let version = try launch(copy, ["version"], in: repo.directory)
        #expect(version.status == 0 && version.output.hasPrefix("cairn 0.1.0 (commit unknown, libgit2 1."), "\(version.output)")
        // make release stamps the commit into the linked binary (scripts/stamp-commit.py), as here into the copy.
        let commit = String(repeating: "ab12", count: 10)
        let stamped = try launch(URL(fileURLWithPath: "/usr/bin/env"), ["python3", SourceTree.root.appendingPathComponent("scripts/stamp-commit.py").path, copy.path, commit],
                                 in: folder)
        #expect(stamped.status == 0, "\(stamped.output)")
        let after = try launch(copy, ["version"], in: repo.directory)
        #expect(after.output.hasPrefix("cairn 0.1.0 (commit \(commit), libgit2 1."), "\(after.output)")
        #expect(try launch(copy, ["validate", "--path", "registry"], in: repo.directory).status == 0)
    }

    @Test("hooks install run as 'cairn' from PATH writes hooks that call this binary by its absolute path")
    func hooksFromPath() throws {
        let repo = try CLITests.exampleRepository()
        let folder = CLITests.binary.deletingLastPathComponent().path
        let installed = try launch(URL(fileURLWithPath: "/usr/bin/env"), ["cairn", "hooks", "install", "--path", "registry"], in: repo.directory,
                                   environment: ["PATH": folder + ":/usr/bin:/bin"])
        #expect(installed.status == 0, "\(installed.output)")
        let hook = try String(contentsOf: repo.directory.appendingPathComponent(".git/hooks/pre-commit"), encoding: .utf8)
        #expect(hook.contains("${CAIRN:-\(CLITests.binary.resolvingSymlinksInPath().path)}"), "\(hook)")
        // And git runs it with no cairn on PATH and no CAIRN override: the hook refuses a registry that does not validate.
        try repo.write("registry/prompts/bad.yaml", "apiVersion: cairn/v1\n")
        _ = try repo.git(["add", "-A"])
        let commit = try launch(URL(fileURLWithPath: "/usr/bin/git"), ["commit", "-qm", "bad"], in: repo.directory,
                                environment: ["CAIRN": nil, "PATH": "/usr/bin:/bin"])
        #expect(commit.status != 0 && commit.output.contains("missing required field 'kind'"), "\(commit.output)")
    }
}
