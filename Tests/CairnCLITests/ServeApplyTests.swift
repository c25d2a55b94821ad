import CairnTestSupport
import Foundation
import Testing

/// `cairn serve` while its agent applies: readers see the rows before or after, never a mix; SIGTERM in the middle of
/// an apply lets it land whole, releases the lease and exits 0.
extension ServeTests {
    /// A generated registry of `count` artifacts assigned to dev, which syncs itself, applied once; then every deployed
    /// row's content edited behind cairn's back (each `owner` becomes `drift-...`), so that the agent's next plan
    /// rewrites them all in one apply.
    func driftedRegistry(_ count: Int) throws -> (directory: URL, store: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-serve-apply-\(UUID().uuidString)")
        let environment: [String: String?] = ["GIT_AUTHOR_NAME": "Serve", "GIT_AUTHOR_EMAIL": "serve@example.com", "GIT_COMMITTER_NAME": "Serve",
                           "GIT_COMMITTER_EMAIL": "serve@example.com"]
        let python = URL(fileURLWithPath: "/usr/bin/env")
        let generate = try cli.launch(python, ["python3", SourceTree.root.appendingPathComponent("scripts/gen-registry.py").path, directory.path,
                                               String(count), "5", "dev"], in: FileManager.default.temporaryDirectory, environment: environment)
        #expect(generate.status == 0, "\(generate.output)")
        let config = directory.appendingPathComponent("registry/cairn.yaml")
        let text = try String(contentsOf: config, encoding: .utf8)
        let auto = text.replacingOccurrences(of: "  - {name: dev}\n", with: "  - {name: dev, policy: {sync: auto}}\n")
        #expect(auto != text, "\(text)")
        try auto.write(to: config, atomically: true, encoding: .utf8)
        _ = try cli.launch(python, ["git", "commit", "-qam", "dev syncs itself"], in: directory, environment: environment)
        // The assignments point at the commit before; the agent reads cairn.yaml at HEAD.
        let apply = try cli.run(["apply", "--env", "dev", "--path", "registry", "--auto-approve", "--actor", "setup"], in: directory)
        #expect(apply.status == 0, "\(apply.output)")
        let store = directory.appendingPathComponent("registry/.cairn/state.sqlite").path
        try sql(store, "UPDATE deployed SET content = replace(content, '\"owner\":\"team-', '\"owner\":\"drift-')")
        return (directory, store)
    }

    /// Runs `statement` on the SQLite store (Python's sqlite3) and returns what it prints.
    @discardableResult
    func sql(_ store: String, _ statement: String, query: Bool = false) throws -> String {
        let script = query ? "import sqlite3, sys; print(*sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone())"
                           : "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()"
        let result = try cli.launch(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, store, statement],
                                    in: FileManager.default.temporaryDirectory)
        #expect(result.status == 0, "\(result.output)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("GETs of the snapshot while the agent applies 600 changed rows: each shows every row before or every row after, never a mix")
    func readsDuringApply() throws {
        let (directory, store) = try driftedRegistry(600)
        #expect(try sql(store, "SELECT count(*) FROM deployed WHERE content LIKE '%\"owner\":\"drift-%'", query: true) == "600")
        let server = try Server(in: directory, arguments: ["--path", "registry", "--interval", "2"])
        var seen = Set<String>()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let snapshot = try get(server, "/v1/environments/dev/snapshot")
            #expect(snapshot.status == 200, "\(snapshot.status)")
            let artifacts = try #require(try object(snapshot.body)["artifacts"] as? [[String: Any]])
            let owners = artifacts.compactMap { (($0["content"] as? [String: Any])?["metadata"] as? [String: Any])?["owner"] as? String }
            #expect(artifacts.count == 600 && owners.count == 600)
            let drifted = owners.filter { $0.hasPrefix("drift-") }.count
            #expect(drifted == 0 || drifted == 600, "a snapshot mixed \(drifted) rows before the apply with \(600 - drifted) after it")
            seen.insert(drifted == 0 ? "after" : drifted == 600 ? "before" : "mixed")
            if seen.contains("after") { break }
        }
        #expect(seen == ["before", "after"], "\(seen)")
        #expect(try cli.run(["audit", "verify", "--path", "registry"], in: directory).status == 0)
        #expect(server.stop() == 0)
    }

    @Test("SIGTERM while the agent applies: the apply lands whole, the lease is released, the process exits 0")
    func sigtermDuringApply() throws {
        let (directory, store) = try driftedRegistry(1500)
        let serial = try sql(store, "SELECT serial FROM environment WHERE name = 'dev'", query: true)
        let server = try Server(in: directory, arguments: ["--path", "registry", "--interval", "60"])
        // The agent's first round plans at once and takes dev's lease to apply: SIGTERM as soon as it holds it.
        let held = eventually(60) { (try? sql(store, "SELECT count(*) FROM lease WHERE environment = 'dev' AND id <> ''", query: true)) == "1" }
        #expect(held)
        let signalled = Date()
        #expect(server.stop() == 0)
        #expect(Date().timeIntervalSince(signalled) < 30)
        // Landed whole: one serial more, no row left drifted, one audit record per row; the lease is free again.
        #expect(try sql(store, "SELECT serial FROM environment WHERE name = 'dev'", query: true) == String((Int(serial) ?? 0) + 1))
        #expect(try sql(store, "SELECT count(*) FROM deployed WHERE content LIKE '%\"owner\":\"drift-%'", query: true) == "0")
        #expect(try sql(store, "SELECT count(*) FROM lease WHERE id <> ''", query: true) == "0")
        #expect(try cli.run(["audit", "verify", "--path", "registry"], in: directory).status == 0)
        let next = try cli.run(["apply", "--env", "dev", "--path", "registry", "--auto-approve", "--actor", "after"], in: directory)
        #expect(next.status == 0 && next.output.contains("no changes"), "\(next.output)")
    }
}
