import CairnTestSupport
import Foundation
import Testing

/// Where cairn keeps deployed state is the operator's choice; repository content under review never decides it.
@Suite("Where the state store lives")
struct StateLocationCLITests {
    let cli = CLITests()

    /// registry-example committed with `state.url` set to `url` (nil: the line removed) and one prompt assigned to dev.
    func repository(stateURL url: String?) throws -> TestRepository {
        let repo = try TestRepository()
        try repo.copy(from: SourceTree.registryExample, to: "registry")
        try setStateURL(url, in: repo)
        try repo.commitAll()
        try repo.tag("prompt/summarize-ticket@v2.0.1", message: "register")
        try repo.tag("prompt/summarize-ticket#dev#1", message: "assign")
        return repo
    }

    func setStateURL(_ url: String?, in repo: TestRepository) throws {
        let config = repo.directory.appendingPathComponent("registry/cairn.yaml")
        let text = try String(contentsOf: config, encoding: .utf8)
        try repo.write("registry/cairn.yaml", text.replacingOccurrences(of: "  url: sqlite:.cairn/state.sqlite\n", with: url.map { "  url: \($0)\n" } ?? "  {}\n"))
    }

    func apply(_ repo: TestRepository, _ extra: [String] = []) throws -> (status: Int32, output: String) {
        try cli.run(["apply", "--env", "dev", "--path", "registry", "--auto-approve", "--actor", "ci"] + extra, in: repo.directory)
    }

    @Test("state.url may only name a file inside .cairn/: absolute and .. paths are refused and nothing is written outside",
          arguments: ["sqlite:../outside/state.sqlite", "sqlite:/tmp/cairn-absolute-\(UUID().uuidString).sqlite", "sqlite:elsewhere.sqlite",
                      "sqlite:.cairn/../../x.sqlite", "sqlite:.cairn"])
    func configPathConfined(url: String) async throws {
        let repo = try repository(stateURL: url)
        let result = try apply(repo)
        #expect(result.status == 2, "\(result.output)")
        #expect(result.output.contains("inside the registry's .cairn/ folder, beside cairn.yaml"))
        #expect(!FileManager.default.fileExists(atPath: repo.directory.deletingLastPathComponent().appendingPathComponent("outside").path))
        #expect(!FileManager.default.fileExists(atPath: String(url.dropFirst("sqlite:".count))) || !url.hasPrefix("sqlite:/"))
    }

    @Test("a committed state.url naming PostgreSQL with a password is an invalid cairn.yaml: refused before connecting, the password not printed")
    func committedPassword() async throws {
        let repo = try repository(stateURL: "postgres://ann:hunter2@127.0.0.1:1/db")
        let result = try apply(repo)
        #expect(result.status == 2 && result.output.contains("no valid cairn.yaml at HEAD"), "\(result.output)")
        #expect(!result.output.contains("hunter2"))
        let validate = try cli.run(["validate", "--path", "registry"], in: repo.directory)
        #expect(validate.status == 1 && validate.output.contains("registry/cairn.yaml:9:8: error: state.url carries a password") && validate.output.contains("PGPASSWORD"), "\(validate.output)")
        #expect(!validate.output.contains("hunter2"))
    }

    @Test("a state.url inside .cairn/ is used, its folders created")
    func configPathInside() async throws {
        let repo = try repository(stateURL: "sqlite:.cairn/team/state.sqlite")
        #expect(try apply(repo).status == 0)
        #expect(FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("registry/.cairn/team/state.sqlite").path))
    }

    @Test("the cairn.yaml at HEAD decides, not the one at --ref (a pull request's branch)")
    func refDoesNotChooseTheStore() async throws {
        let repo = try repository(stateURL: nil)
        try repo.git(["checkout", "-q", "-b", "pr"])
        try setStateURL("sqlite:.cairn/from-the-pr.sqlite", in: repo)
        try repo.commitAll("PR moves the state")
        try repo.git(["checkout", "-q", "-"])
        let result = try apply(repo, ["--ref", "pr"])
        #expect(result.status == 0, "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("registry/.cairn/from-the-pr.sqlite").path))
        #expect(FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("registry/.cairn/state.sqlite").path))
    }

    @Test("a committed .cairn or .cairn/state.sqlite symbolic link is not followed", arguments: ["registry/.cairn", "registry/.cairn/state.sqlite"])
    func symlinksRefused(link: String) async throws {
        let repo = try repository(stateURL: nil)
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-link-target-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: target) }
        let isFile = link.hasSuffix(".sqlite")
        if isFile { try FileManager.default.createDirectory(at: repo.directory.appendingPathComponent("registry/.cairn"), withIntermediateDirectories: true) }
        try FileManager.default.createSymbolicLink(atPath: repo.directory.appendingPathComponent(link).path,
                                                   withDestinationPath: target.appendingPathComponent(isFile ? "state.sqlite" : "").path)
        try repo.commitAll("a link")
        let result = try apply(repo)
        #expect(result.status == 2)
        #expect(result.output.contains("is a symbolic link"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: target.path).isEmpty)
    }

    @Test("--state that is empty, in a missing folder, another scheme, or a PostgreSQL server that is not there is refused; nothing is created and no password is printed")
    func operatorPaths() async throws {
        let repo = try repository(stateURL: nil)
        let empty = try apply(repo, ["--state", ""])
        #expect(empty.status == 2 && empty.output.contains("empty"))
        let missing = try apply(repo, ["--state", "no/such/folder/state.sqlite"])
        #expect(missing.status == 2 && missing.output.contains("does not exist"))
        let postgres = try apply(repo, ["--state", "postgres://user:hunter2@127.0.0.1:1/db"])
        #expect(postgres.status == 2 && postgres.output.contains("cannot connect to postgres://user@127.0.0.1:1/db") && !postgres.output.contains("hunter2"), "\(postgres.output)")
        let other = try apply(repo, ["--state", "mysql://user:hunter2@localhost/db"])
        #expect(other.status == 2 && other.output.contains("neither an SQLite file nor a PostgreSQL URL") && !other.output.contains("hunter2"), "\(other.output)")
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("postgres:").path))
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent(".cairn").path))
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("registry/.cairn").path))
        let verify = try cli.run(["audit", "verify", "--path", "registry", "--state", "nowhere/state.sqlite"], in: repo.directory)
        #expect(verify.status == 2)
    }

    @Test("the state lives beside cairn.yaml, in a .cairn/ that ignores itself: nothing to commit after an apply")
    func besideTheRegistry() async throws {
        let repo = try repository(stateURL: nil)
        #expect(try apply(repo).status == 0)
        #expect(FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("registry/.cairn/state.sqlite").path))
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent(".cairn").path))
        #expect(try repo.git(["status", "--porcelain"]) == "")
        // From inside the registry folder, the same store.
        let status = try cli.run(["status", "--env", "dev"], in: repo.directory.appendingPathComponent("registry/prompts"))
        #expect(status.output.contains("state serial 1"), "\(status.output)")
    }

    @Test("a store where cairn kept it before (the repository root's .cairn/) is still used, with a warning that says how to move it")
    func legacyRootStore() async throws {
        let repo = try repository(stateURL: nil)
        try FileManager.default.createDirectory(at: repo.directory.appendingPathComponent(".cairn"), withIntermediateDirectories: true)
        #expect(try apply(repo, ["--state", ".cairn/state.sqlite"]).status == 0)
        let status = try cli.run(["status", "--env", "dev", "--path", "registry"], in: repo.directory)
        #expect(status.status == 0 && status.output.contains("state serial 1"), "\(status.output)")
        #expect(status.output.contains("warning: the deployed state is in .cairn/state.sqlite at the repository root"), "\(status.output)")
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("registry/.cairn/state.sqlite").path))
        // Moved as the warning says: the copy is used, and the warning is gone.
        let move = try #require(status.output.split(separator: "\n").first { $0.hasPrefix("warning:") }.flatMap { line in
            line.range(of: "Move it: ").map { String(line[$0.upperBound...].prefix { $0 != "," }) } })
        #expect(move.hasPrefix("mkdir -p registry/.cairn && cairn state backup"), "\(move)")
        let words = move.split(separator: " ").map(String.init)
        _ = try FileManager.default.createDirectory(at: repo.directory.appendingPathComponent("registry/.cairn"), withIntermediateDirectories: true)
        let backup = try cli.run(Array(words.drop { $0 != "cairn" }.dropFirst()) + ["--path", "registry"], in: repo.directory)
        #expect(backup.status == 0, "\(backup.output)")
        try FileManager.default.removeItem(at: repo.directory.appendingPathComponent(".cairn/state.sqlite"))
        let after = try cli.run(["status", "--env", "dev", "--path", "registry"], in: repo.directory)
        #expect(after.output.contains("state serial 1") && !after.output.contains("warning"), "\(after.output)")
    }
}
