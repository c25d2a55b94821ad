import CairnTestSupport
import Crypto
import Foundation
import Testing

/// `cairn serve` as an application meets it: a real server process on a loopback port, asked with curl.
@Suite("cairn serve: the read API")
struct ServeTests {
    let cli = DayOneCLITests()

    /// A running `cairn serve` (stopped with SIGTERM when the test is done with it).
    final class Server {
        let process = Process()
        let output: URL
        private(set) var address = ""

        init(in directory: URL, arguments: [String]) throws {
            output = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-serve-\(UUID().uuidString).out")
            FileManager.default.createFile(atPath: output.path, contents: nil)
            process.executableURL = CLITests.binary
            process.arguments = ["serve", "--listen", "127.0.0.1:0"] + arguments
            process.currentDirectoryURL = directory
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }) {
                    address = String(line.dropFirst("listening on ".count))
                    return
                }
                guard process.isRunning else { break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            throw CLITests.MissingBinary()
        }

        /// Sends SIGTERM and returns the exit status.
        func stop() -> Int32 {
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }

        deinit {
            if process.isRunning { process.terminate() }
            try? FileManager.default.removeItem(at: output)
        }
    }

    /// One request with curl: the status, the headers (lower-cased names) and the body. With `body` (a file's path
    /// after `@`, or the text itself) it is a POST.
    func get(_ server: Server, _ path: String, headers: [String] = [], body: String? = nil) throws -> (status: Int, headers: [String: String], body: String) {
        let post = body.map { ["-X", "POST", "--data-binary", $0] } ?? []
        let result = try cli.launch(URL(fileURLWithPath: "/usr/bin/env"), ["curl", "-s", "-i", "--max-time", "20"] + headers.flatMap { ["-H", $0] }
                                    + post + ["http://\(server.address)\(path)"], in: FileManager.default.temporaryDirectory)
        let parts = result.output.components(separatedBy: "\r\n\r\n")
        let head = parts[0].components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        var fields: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, fields, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    func object(_ body: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
    }

    /// registry-example with support-triage 1.3.0 applied to dev.
    func deployed() throws -> TestRepository {
        let repo = try CLITests.exampleRepository()
        let registry = ["--path", "registry", "--actor", "ci"]
        #expect(try cli.run(["register", "--all"] + registry, in: repo.directory).status == 0)
        #expect(try cli.run(["promote", "prompt/support-triage@1.3.0", "--to", "dev"] + registry, in: repo.directory).status == 0)
        #expect(try cli.run(["apply", "--env", "dev", "--auto-approve"] + registry, in: repo.directory).status == 0)
        return repo
    }

    @Test("what is deployed, one artifact with its digest as ETag (304 when unchanged, the new one after an apply), did-you-mean 404s, SIGTERM exits 0")
    func readAPI() throws {
        let repo = try deployed()
        let server = try Server(in: repo.directory, arguments: ["--path", "registry"])
        #expect(try get(server, "/healthz").status == 200)

        let environments = try get(server, "/v1/environments")
        #expect(environments.status == 200 && environments.headers["content-type"] == "application/json", "\(environments)")
        let list = try #require(try object(environments.body)["environments"] as? [[String: Any]])
        #expect(list.map { $0["name"] as? String } == ["dev", "staging", "production"])
        #expect(list[0]["serial"] as? Int == 1 && list[0]["artifacts"] as? Int == 2 && list[0]["sync"] as? String == "in-sync", "\(list[0])")

        let artifacts = try object(try get(server, "/v1/environments/dev/artifacts").body)["artifacts"] as? [[String: Any]]
        #expect(Set(artifacts?.compactMap { $0["id"] as? String } ?? []) == ["prompt/support-triage", "dataset/triage-eval-set"])
        #expect(artifacts?.allSatisfy { $0["content"] == nil } == true)

        let path = "/v1/environments/dev/artifacts/prompt/support-triage"
        let one = try get(server, path)
        let body = try object(one.body)
        #expect(one.status == 200 && body["version"] as? String == "1.3.0" && body["tag"] as? String == "prompt/support-triage#dev#1", "\(one)")
        #expect(((body["content"] as? [String: Any])?["metadata"] as? [String: Any])?["name"] as? String == "support-triage")
        let status = try #require(try JSONSerialization.jsonObject(with: Data(cli.run(["status", "--env", "dev", "--format", "json", "--path", "registry"], in: repo.directory).output.utf8)) as? [String: Any])
        let digest = (status["deployed"] as? [[String: Any]])?.first { ($0["artifact"] as? String)?.hasPrefix("prompt/support-triage@") == true }?["digest"] as? String
        #expect(one.headers["etag"] == "\"\(digest ?? "?")\"" && one.headers["cache-control"] == "max-age=0, stale-while-revalidate=30, stale-if-error=86400", "\(one.headers)")
        let etag = try #require(one.headers["etag"])
        let unchanged = try get(server, path, headers: ["If-None-Match: \(etag)"])
        #expect(unchanged.status == 304 && unchanged.body.isEmpty, "\(unchanged)")
        #expect(try get(server, path, headers: ["If-None-Match: \"sha256:other\""]).status == 200)

        let typo = try get(server, "/v1/environments/dve/artifacts")
        #expect(typo.status == 404 && typo.body.contains("did you mean 'dev'?"), "\(typo)")
        let missing = try get(server, "/v1/environments/dev/artifacts/prompt/support-triag")
        #expect(missing.status == 404 && missing.body.contains("did you mean prompt/support-triage?"), "\(missing)")
        #expect(try get(server, "/v1/environments/dev/artifacts/widget/x").status == 400)
        // Every error is JSON: an unknown path is 404, a known one asked with another method 405 naming what it answers.
        let unknown = try get(server, "/v2/nothing")
        #expect(unknown.status == 404 && unknown.headers["content-type"] == "application/json" && unknown.body.contains("\"message\""), "\(unknown)")
        let method = try get(server, "/v1/environments", headers: ["X-HTTP-Method-Override: DELETE"], body: "")
        #expect(method.status == 405 && method.headers["allow"] == "GET", "\(method)")
        #expect(try get(server, "/v1/environments/staging/artifacts").status == 200)

        // The answer follows the store, with no cache to go stale: roll back in git, apply, ask again.
        let registry = ["--path", "registry", "--actor", "ci"]
        try repo.write("registry/prompts/support-triage.yaml",
                       try String(contentsOf: repo.directory.appendingPathComponent("registry/prompts/support-triage.yaml"), encoding: .utf8)
                        .replacingOccurrences(of: "version: 1.3.0", with: "version: 1.3.1"))
        _ = try repo.commitAll("support-triage 1.3.1")
        #expect(try cli.run(["register", "prompt/support-triage@1.3.1"] + registry, in: repo.directory).status == 0)
        #expect(try cli.run(["promote", "prompt/support-triage@1.3.1", "--to", "dev"] + registry, in: repo.directory).status == 0)
        #expect(try object(try get(server, "/v1/environments").body)["environments"].flatMap { ($0 as? [[String: Any]])?.first?["sync"] as? String } == "out-of-sync")
        // Another process's apply is seen within the read cache's 200 ms (the server checks the store's serial and
        // deployed mark at most that often).
        #expect(try cli.run(["apply", "--env", "dev", "--auto-approve"] + registry, in: repo.directory).status == 0)
        var after = try get(server, path, headers: ["If-None-Match: \(etag)"])
        #expect(try eventually(2) {
            after = try get(server, path, headers: ["If-None-Match: \(etag)"])
            return after.status == 200
        })
        let afterBody = try object(after.body)
        #expect(after.status == 200 && afterBody["version"] as? String == "1.3.1" && after.headers["etag"] != etag, "\(after)")

        // Content edited behind cairn's back: served, marked drifted, while it is JSON; a 500 once it is not.
        let store = repo.directory.appendingPathComponent("registry/.cairn/state.sqlite").path
        try TestSQL.execute(store, "UPDATE deployed SET content = replace(content, '\"support-triage\"', '\"edited\"') WHERE name = 'support-triage'")
        var drifted: [String: Any] = [:]
        #expect(try eventually(2) {
            drifted = try object(try get(server, path).body)
            return drifted["drifted"] as? Bool == true
        })
        #expect(drifted["drifted"] as? Bool == true && ((drifted["content"] as? [String: Any])?["metadata"] as? [String: Any])?["name"] as? String == "edited")
        try TestSQL.execute(store, "UPDATE deployed SET content = 'not json' WHERE name = 'support-triage'")
        var broken = try get(server, path)
        #expect(try eventually(2) {
            broken = try get(server, path)
            return broken.status == 500
        })
        #expect(broken.status == 500 && broken.body.contains("edited outside cairn"), "\(broken)")

        #expect(server.stop() == 0)
    }

    @Test("with --token-file, /v1 needs the bearer token (401 without it or with another); /healthz stays open")
    func token() throws {
        let repo = try deployed()
        let file = repo.directory.appendingPathComponent("token")
        try Data("s3cret-token\n".utf8).write(to: file)
        let server = try Server(in: repo.directory, arguments: ["--path", "registry", "--token-file", file.path])
        #expect(try get(server, "/healthz").status == 200)
        let none = try get(server, "/v1/environments")
        #expect(none.status == 401 && none.headers["www-authenticate"] == "Bearer", "\(none)")
        #expect(try get(server, "/v1/environments", headers: ["Authorization: Bearer s3cret-tokeX"]).status == 401)
        #expect(try get(server, "/v1/environments", headers: ["Authorization: Bearer s3cret"]).status == 401)
        #expect(try get(server, "/v1/environments", headers: ["Authorization: Bearer s3cret-token"]).status == 200)
        #expect(server.stop() == 0)
        let empty = repo.directory.appendingPathComponent("empty-token")
        try Data("\n".utf8).write(to: empty)
        let refused = try cli.run(["serve", "--path", "registry", "--token-file", empty.path], in: repo.directory)
        #expect(refused.status == 2 && refused.output.contains("holds nothing on its first line"), "\(refused.output)")
        #expect(try cli.run(["serve", "--listen", "localhost", "--path", "registry"], in: repo.directory).status == 2)
    }

    @Test("the agent applies an environment whose policy says sync: auto once its plan has changes, as cairn-agent, and shows its reconciliations")
    func agentApplies() throws {
        let repo = try CLITests.exampleRepository()
        let config = repo.directory.appendingPathComponent("registry/cairn.yaml")
        try repo.write("registry/cairn.yaml", try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "    description: Every merged change lands here first.\n", with: "    description: Every merged change lands here first.\n    policy: {sync: auto}\n"))
        _ = try repo.commitAll("dev syncs itself")
        let registry = ["--path", "registry", "--actor", "ci"]
        #expect(try cli.run(["register", "--all"] + registry, in: repo.directory).status == 0)
        let server = try Server(in: repo.directory, arguments: ["--path", "registry", "--interval", "1"])
        #expect(try cli.run(["promote", "prompt/support-triage@1.3.0", "--to", "dev"] + registry, in: repo.directory).status == 0)
        // staging is manual: assigned, never applied by the agent.
        _ = try repo.git(["tag", "-a", "prompt/support-triage#staging#9", "-m", "by hand", "prompt/support-triage@v1.3.0^{}"])
        var dev: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let list = try object(try get(server, "/v1/environments").body)["environments"] as? [[String: Any]] ?? []
            dev = list.first { $0["name"] as? String == "dev" } ?? [:]
            if (dev["reconciliations"] as? [[String: Any]])?.contains(where: { $0["result"] as? String == "applied" }) == true { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let reconciliations = dev["reconciliations"] as? [[String: Any]] ?? []
        #expect(dev["syncPolicy"] as? String == "auto" && reconciliations.contains { $0["result"] as? String == "applied" && $0["changes"] as? Int == 2 }, "\(dev)")
        let status = try cli.run(["status", "--env", "dev", "--path", "registry"], in: repo.directory).output
        #expect(status.contains("2 artifacts") && status.contains("by cairn-agent"), "\(status)")
        let staging = try cli.run(["status", "--env", "staging", "--path", "registry"], in: repo.directory).output
        #expect(staging.contains("0 artifacts"), "\(staging)")
        #expect(try cli.run(["audit", "verify", "--path", "registry"], in: repo.directory).status == 0)
        // In sync, the agent only plans: no lease is granted (the fence would move) and nothing is audited.
        let store = repo.directory.appendingPathComponent("registry/.cairn/state.sqlite").path
        func fenceAndRecords() throws -> String {
            try cli.launch(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
                import sqlite3, sys; c = sqlite3.connect(sys.argv[1])
                print(c.execute("SELECT coalesce(max(fence), 0) FROM lease").fetchone()[0], c.execute("SELECT count(*) FROM audit").fetchone()[0])
                """, store], in: repo.directory).output
        }
        let before = try fenceAndRecords()
        #expect(before.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }.count == 2, "\(before)")
        Thread.sleep(forTimeInterval: 2.5)
        #expect(try fenceAndRecords() == before, "\(before)")
        #expect(server.stop() == 0)

        // The history is the store's: in-sync runs on the same declared state are one entry, the apply one of its own,
        // and both outlive the agent (cairn status shows them; a new agent serves them).
        let json = try object(try cli.run(["status", "--env", "dev", "--path", "registry", "--format", "json"], in: repo.directory).output)
        let kept = json["reconciliations"] as? [[String: Any]] ?? []
        let newest = kept.first ?? [:], applied = kept.first { $0["result"] as? String == "applied" } ?? [:]
        #expect(newest["result"] as? String == "in-sync" && (newest["runs"] as? Int ?? 0) >= 2 && kept.count >= 2 && kept[1]["result"] as? String == "applied",
                "\(kept)")
        #expect((newest["declaredDigest"] as? String)?.hasPrefix("sha256:") == true && newest["declaredDigest"] as? String == applied["declaredDigest"] as? String
                && (applied["agent"] as? String)?.hasPrefix("cairn-agent on ") == true && applied["changes"] as? Int == 2, "\(kept)")
        let text = try cli.run(["status", "--env", "dev", "--path", "registry"], in: repo.directory).output
        #expect(text.contains("  agent: in-sync at ") && text.contains(" runs since "), "\(text)")
        let again = try Server(in: repo.directory, arguments: ["--path", "registry", "--interval", "600"])
        let served = try object(try get(again, "/v1/environments").body)["environments"] as? [[String: Any]] ?? []
        let history = served.first { $0["name"] as? String == "dev" }?["reconciliations"] as? [[String: Any]] ?? []
        #expect(history.contains { $0["result"] as? String == "applied" && $0["changes"] as? Int == 2 }, "\(history)")
        #expect(again.stop() == 0)
    }

    /// Polls `condition` every 0.2 s for up to `seconds`.
    func eventually(_ seconds: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return try condition()
    }

    /// registry-example whose dev syncs itself, registered, with a bare clone as `origin`.
    func remoteRepository() throws -> (work: TestRepository, remote: URL) {
        let repo = try CLITests.exampleRepository()
        let config = repo.directory.appendingPathComponent("registry/cairn.yaml")
        try repo.write("registry/cairn.yaml", try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "    description: Every merged change lands here first.\n", with: "    description: Every merged change lands here first.\n    policy: {sync: auto}\n"))
        _ = try repo.commitAll("dev syncs itself")
        #expect(try cli.run(["register", "--all", "--path", "registry", "--actor", "ci"], in: repo.directory).status == 0)
        let remote = repo.directory.deletingLastPathComponent().appendingPathComponent("remote-\(UUID().uuidString).git")
        _ = try repo.git(["clone", "-q", "--bare", ".", remote.path])
        _ = try repo.git(["remote", "add", "origin", remote.path])
        return (repo, remote)
    }

    func hmac(_ body: String, _ secret: String) -> String {
        "sha256=" + HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: SymmetricKey(data: Array(secret.utf8))).map { String(format: "%02x", $0) }.joined()
    }

    /// `git daemon` serving `folder` read-only over git:// on a free loopback port: the smart protocol a git host speaks.
    final class GitDaemon {
        let process: Process
        let port: Int

        init(serving folder: URL) throws {
            // A random port; one in use ends the daemon at once, and another is tried.
            for _ in 0..<5 {
                let port = Int.random(in: 20_000..<60_000)
                let process = Process()
                // git-daemon itself (not `git daemon`, which would leave it behind when stopped), killed with SIGKILL:
                // it does not stop for the SIGTERM a test process can send.
                process.executableURL = try Self.executable()
                process.arguments = ["--export-all", "--reuseaddr", "--listen=127.0.0.1", "--port=\(port)", "--base-path=\(folder.path)", folder.path]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                let deadline = Date().addingTimeInterval(10)
                while Date() < deadline, process.isRunning, !Self.accepts(port) { Thread.sleep(forTimeInterval: 0.1) }
                if process.isRunning && Self.accepts(port) {
                    (self.process, self.port) = (process, port)
                    return
                }
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
            throw Unavailable()
        }

        struct Unavailable: Error, CustomStringConvertible {
            var description: String { "git daemon did not start on a loopback port" }
        }

        static func accepts(_ port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            return withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
        }

        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        /// `$(git --exec-path)/git-daemon`.
        static func executable() throws -> URL {
            let process = Process(), pipe = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "--exec-path"]
            process.standardOutput = pipe
            try process.run()
            let folder = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            process.waitUntilExit()
            return URL(fileURLWithPath: folder).appendingPathComponent("git-daemon")
        }
    }

    @Test("--remote: serve reads a mirror of a bare remote (a path, file://, or git:// from git daemon); a pushed promotion is applied when a correctly signed webhook arrives (GitHub, GitLab, generic), never for a bad or missing signature; a deleted tag is pruned; readyz, metrics",
          arguments: ["path", "file", "git"])
    func remoteWebhooks(transport: String) throws {
        let (repo, remote) = try remoteRepository()
        defer { try? FileManager.default.removeItem(at: remote) }
        var daemon: GitDaemon?
        defer { daemon?.stop() }
        let url: String
        switch transport {
        case "file": url = "file://" + remote.path
        case "git":
            daemon = try GitDaemon(serving: remote.deletingLastPathComponent())
            url = "git://127.0.0.1:\(daemon!.port)/" + remote.lastPathComponent
        default: url = remote.path
        }
        let secret = repo.directory.appendingPathComponent("webhook-secret")
        try Data("hook-secret\n".utf8).write(to: secret)
        let mirror = repo.directory.deletingLastPathComponent().appendingPathComponent("mirror-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: mirror) }
        let state = repo.directory.appendingPathComponent("agent.sqlite")
        // A long interval: only webhooks make it fetch again.
        let arguments = ["--remote", url, "--mirror", mirror.path, "--path", "registry", "--state", state.path, "--interval", "1h",
                         "--webhook-secret-file", secret.path]
        let server = try Server(in: repo.directory.deletingLastPathComponent(), arguments: arguments)
        let ready = try get(server, "/readyz")
        #expect(ready.status == 200 && ready.body.contains("\"fetch\":\"ok\""), "\(ready)")
        #expect(try get(server, "/livez").status == 200)
        func deployed() throws -> Set<String> {
            let list = try object(try get(server, "/v1/environments/dev/artifacts").body)["artifacts"] as? [[String: Any]] ?? []
            return Set(list.compactMap { $0["id"] as? String })
        }
        #expect(try deployed().isEmpty)

        let registry = ["--path", "registry", "--actor", "ci"]
        #expect(try cli.run(["promote", "prompt/support-triage@1.3.0", "--to", "dev"] + registry, in: repo.directory).status == 0)
        _ = try repo.git(["push", "-q", "origin", "--tags"])
        let payload = #"{"ref":"refs/tags/prompt/support-triage#dev#1","repository":{"full_name":"acme/registry"}}"#
        let wrong = try get(server, "/v1/webhooks/github", headers: ["X-Hub-Signature-256: \(hmac(payload, "other-secret"))"], body: payload)
        #expect(wrong.status == 401 && wrong.body.contains("X-Hub-Signature-256"), "\(wrong)")
        #expect(try get(server, "/v1/webhooks/github", body: payload).status == 401)
        #expect(try get(server, "/v1/webhooks/github", headers: ["X-Hub-Signature-256: sha256=zz"], body: payload).status == 401)
        #expect(try get(server, "/v1/webhooks/gitlab", headers: ["X-Gitlab-Token: hook-secreT"], body: payload).status == 401)
        // A signature of another body does not pass for this one.
        #expect(try get(server, "/v1/webhooks/generic", headers: ["X-Cairn-Signature-256: \(hmac(payload + " ", "hook-secret"))"], body: payload).status == 401)
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try deployed().isEmpty, "a refused webhook fetched")

        let accepted = try get(server, "/v1/webhooks/github", headers: ["X-Hub-Signature-256: \(hmac(payload, "hook-secret"))"], body: payload)
        #expect(accepted.status == 202, "\(accepted)")
        #expect(try eventually { try deployed() == ["prompt/support-triage", "dataset/triage-eval-set"] }, "\((try? deployed()) ?? [])")

        #expect(try cli.run(["promote", "prompt/sentiment-classify@0.4.2", "--to", "dev"] + registry, in: repo.directory).status == 0)
        _ = try repo.git(["push", "-q", "origin", "--tags"])
        #expect(try get(server, "/v1/webhooks/gitlab", headers: ["X-Gitlab-Token: hook-secret"], body: "{}").status == 202)
        #expect(try eventually { try deployed().contains("prompt/sentiment-classify") })
        #expect(try get(server, "/v1/webhooks/generic", headers: ["X-Cairn-Signature-256: \(hmac("{}", "hook-secret"))"], body: "{}").status == 202)

        // Too large a body is refused before it is read whole, and wakes nothing.
        let large = repo.directory.appendingPathComponent("large.json")
        try Data(repeating: UInt8(ascii: "a"), count: 3 << 20).write(to: large)
        #expect(try get(server, "/v1/webhooks/github", headers: ["X-Hub-Signature-256: sha256=00"], body: "@" + large.path).status == 413)

        let environments = try object(try get(server, "/v1/environments").body)["environments"] as? [[String: Any]] ?? []
        let dev = environments.first { $0["name"] as? String == "dev" } ?? [:]
        let reconciliations = dev["reconciliations"] as? [[String: Any]] ?? []
        #expect(reconciliations.filter { $0["result"] as? String == "applied" }.count == 2 && dev["sync"] as? String == "in-sync", "\(dev)")

        let metrics = try get(server, "/metrics")
        #expect(metrics.status == 200 && metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
        for line in ["cairn_apply_total{environment=\"dev\",result=\"applied\"} 2", "cairn_environment_synced{environment=\"dev\"} 1.0",
                     "cairn_environment_synced{environment=\"staging\"} 1.0", "cairn_git_fetch_failures_total 0",
                     "cairn_http_requests_total{route=\"/v1/webhooks/github\",method=\"POST\",status=\"401\"} 3"] {
            #expect(metrics.body.contains(line + "\n"), "\(line) in \(metrics.body)")
        }
        for family in ["cairn_git_fetch_duration_seconds_count ", "cairn_reconcile_duration_seconds_count{environment=\"dev\",result=\"applied\"} 2",
                       "cairn_http_request_duration_seconds_bucket{route=\"/v1/environments/{env}/artifacts\""] {
            #expect(metrics.body.contains(family), "\(family)")
        }
        // A tag deleted on the remote is deleted in the mirror: the unassigned prompt is pruned from dev.
        _ = try repo.git(["push", "-q", "origin", "--delete", "refs/tags/prompt/sentiment-classify#dev#1"])
        #expect(try get(server, "/v1/webhooks/generic", headers: ["X-Cairn-Signature-256: \(hmac("{}", "hook-secret"))"], body: "{}").status == 202)
        #expect(try eventually { try !deployed().contains("prompt/sentiment-classify") && deployed().contains("prompt/support-triage") })
        let git = URL(fileURLWithPath: "/usr/bin/env")
        let mirrored = try cli.launch(git, ["git", "-C", mirror.path, "for-each-ref", "--format=%(refname) %(objectname)"], in: repo.directory).output
        let remoteRefs = try cli.launch(git, ["git", "-C", remote.path, "for-each-ref", "--format=%(refname) %(objectname)"], in: repo.directory).output
        #expect(mirrored == remoteRefs && !mirrored.isEmpty, "mirror:\n\(mirrored)\nremote:\n\(remoteRefs)")
        #expect(try cli.launch(git, ["git", "-C", mirror.path, "fsck", "--connectivity-only"], in: repo.directory).status == 0)
        #expect(server.stop() == 0)
        // What the agent applied is in the store it was given, under its actor, with the chain intact.
        let status = try cli.run(["status", "--env", "dev", "--path", "registry", "--state", state.path], in: repo.directory).output
        #expect(status.contains("2 artifacts") && status.contains("by cairn-agent"), "\(status)")
    }

    @Test("--remote: readyz turns 503 once fetches have failed for three intervals, the last state still served; a mirror folder of something else is refused")
    func remoteFailures() throws {
        let (repo, remote) = try remoteRepository()
        let mirror = repo.directory.deletingLastPathComponent().appendingPathComponent("mirror-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: mirror) }
        let state = repo.directory.appendingPathComponent("agent.sqlite")
        let server = try Server(in: repo.directory, arguments: ["--remote", remote.path, "--mirror", mirror.path, "--path", "registry",
                                                                "--state", state.path, "--interval", "1"])
        #expect(try get(server, "/readyz").status == 200)
        try FileManager.default.removeItem(at: remote)
        #expect(try eventually(30) { try get(server, "/readyz").status == 503 })
        let readiness = try get(server, "/readyz")
        #expect(readiness.body.contains("the last fetch failed"), "\(readiness)")
        #expect(try get(server, "/v1/environments/dev/artifacts").status == 200)
        let failures = try get(server, "/metrics").body.split(separator: "\n").first { $0.hasPrefix("cairn_git_fetch_failures_total ") }
        #expect(failures.flatMap { Int($0.split(separator: " ")[1]) }.map { $0 >= 3 } == true, "\(String(describing: failures))")
        #expect(server.stop() == 0)

        // Another remote for the same mirror, a folder that is not a mirror, --remote with --repo, an unreachable first fetch.
        let other = try cli.run(["serve", "--remote", repo.directory.path, "--mirror", mirror.path, "--path", "registry", "--listen", "127.0.0.1:0"],
                                in: repo.directory)
        #expect(other.status == 2 && other.output.contains("it mirrors \(remote.path), not"), "\(other.output)")
        let folder = repo.directory.appendingPathComponent("registry")
        let notMirror = try cli.run(["serve", "--remote", remote.path, "--mirror", folder.path, "--listen", "127.0.0.1:0"], in: repo.directory)
        #expect(notMirror.status == 2 && notMirror.output.contains("not a bare repository cairn made"), "\(notMirror.output)")
        let both = try cli.run(["serve", "--remote", remote.path, "--repo", repo.directory.path, "--listen", "127.0.0.1:0"], in: repo.directory)
        #expect(both.status == 2 && both.output.contains("--remote and --repo"), "\(both.output)")
        let fresh = repo.directory.deletingLastPathComponent().appendingPathComponent("mirror-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: fresh) }
        let unreachable = try cli.run(["serve", "--remote", remote.path + "-gone", "--mirror", fresh.path, "--listen", "127.0.0.1:0"], in: repo.directory)
        #expect(unreachable.status == 2 && unreachable.output.contains("the first fetch from"), "\(unreachable.output)")
    }

    @Test("render fills the deployed prompt (422 naming a missing, unknown or mistyped variable) with the deployment's fallback; exact versions are immutable; the snapshot has one digest; audit pages, verify, history and report")
    func renderAndRecords() throws {
        let repo = try CLITests.exampleRepository()
        let registry = ["--path", "registry", "--actor", "ci"]
        #expect(try cli.run(["register", "--all"] + registry, in: repo.directory).status == 0)
        #expect(try cli.run(["promote", "deployment/support-bot@1.4.0", "--to", "dev"] + registry, in: repo.directory).status == 0)
        #expect(try cli.run(["apply", "--env", "dev", "--auto-approve"] + registry, in: repo.directory).status == 0)
        let server = try Server(in: repo.directory, arguments: ["--path", "registry"])
        let render = "/v1/environments/dev/artifacts/prompt/support-triage/render"

        let rendered = try get(server, render, body: #"{"variables": {"subject": "Late order", "body": "Where is it?"}}"#)
        let body = try object(rendered.body)
        let messages = body["messages"] as? [[String: Any]] ?? []
        #expect(rendered.status == 200 && body["type"] as? String == "chat" && body["version"] as? String == "1.3.0", "\(rendered)")
        #expect(messages.first?["content"] as? String == "You are a support triage assistant for Acme.\nPick exactly one queue from: billing, technical, account, other.\nAnswer with JSON only.\n")
        #expect(messages.last?["content"] as? String == "Ticket subject: Late order\n\nWhere is it?", "\(messages)")
        // support-bot runs support-triage through its chain and names it as its own fallback.
        let fallback = body["fallback"] as? [String: Any] ?? [:]
        #expect(fallback["deployment"] as? String == "deployment/support-bot" && fallback["reference"] as? String == "prompt/support-triage@1.3.0"
                && fallback["source"] as? String == "deployed" && (fallback["messages"] as? [[String: Any]])?.count == 2, "\(fallback)")
        let company = try object(try get(server, render, body: #"{"variables": {"subject": "s", "body": "b", "company": "Initech"}}"#).body)
        #expect(((company["messages"] as? [[String: Any]])?.first?["content"] as? String)?.contains("for Initech.") == true)

        for (variables, named) in [(#"{"subject": "Late"}"#, "missing required variable 'body'"), (#"{"subject": "s", "body": "b", "nope": 1}"#, "unknown variable 'nope'"),
                                   (#"{"subject": "s", "body": "b", "company": 7}"#, "variable 'company' must be string")] {
            let refused = try get(server, render, body: #"{"variables": \#(variables)}"#)
            let message = try object(refused.body)["message"] as? String
            #expect(refused.status == 422 && message?.contains(named) == true, "\(refused)")
        }
        #expect(try get(server, render, body: "not json").status == 400)
        #expect(try get(server, render, body: #"{"variables": [1]}"#).status == 400)
        #expect(try get(server, render, body: #"{"variables": {}, "extra": 1}"#).status == 400)
        #expect(try get(server, "/v1/environments/dev/artifacts/prompt/refund-policy-answer/render", body: "{}").status == 404)
        #expect(try get(server, "/v1/environments/dev/artifacts/chain/support-router/render", body: "{}").status == 404)
        // Rendering sits beside the plain read of the same prompt, which still answers.
        #expect(try get(server, "/v1/environments/dev/artifacts/prompt/support-triage").status == 200)
        #expect(try get(server, "/v1/environments/dev/artifacts/prompt/..%2F..%2Fetc/render", body: "{}").status == 400)
        let large = repo.directory.appendingPathComponent("large.json")
        try Data(repeating: UInt8(ascii: " "), count: 2 << 20).write(to: large)
        #expect(try get(server, render, body: "@" + large.path).status == 413)

        // An exact registered version, from git: immutable, revalidated by its digest; a version not registered is 404.
        let version = try get(server, "/v1/artifacts/prompt/refund-policy-answer/versions/1.0.0")
        #expect(version.status == 200 && version.headers["cache-control"] == "public, max-age=31536000, immutable", "\(version.headers)")
        let versionBody = try object(version.body)
        #expect(versionBody["tag"] as? String == "prompt/refund-policy-answer@v1.0.0" && (versionBody["content"] as? [String: Any])?["kind"] as? String == "PromptTemplate")
        #expect(version.headers["etag"] == "\"\(versionBody["digest"] as? String ?? "?")\"")
        #expect(try get(server, "/v1/artifacts/prompt/refund-policy-answer/versions/v1.0.0", headers: ["If-None-Match: \(version.headers["etag"] ?? "")"]).status == 304)
        let missing = try get(server, "/v1/artifacts/prompt/refund-policy-answer/versions/9.9.9")
        #expect(missing.status == 404 && missing.body.contains("registered: 1.0.0"), "\(missing)")
        #expect(try get(server, "/v1/artifacts/prompt/refund-policy-answer/versions/one").status == 400)

        // The snapshot: every deployed artifact with content, one digest; 304 while nothing changes.
        let snapshot = try get(server, "/v1/environments/dev/snapshot")
        let snapshotBody = try object(snapshot.body)
        let artifacts = snapshotBody["artifacts"] as? [[String: Any]] ?? []
        #expect(snapshot.status == 200 && artifacts.count == 8 && artifacts.allSatisfy { $0["content"] is [String: Any] }, "\(artifacts.count)")
        #expect(snapshot.headers["etag"] == "\"\(snapshotBody["digest"] as? String ?? "?")\"")
        #expect(try get(server, "/v1/environments/dev/snapshot", headers: ["If-None-Match: \(snapshot.headers["etag"] ?? "")"]).status == 304)
        #expect(try get(server, "/v1/environments/nowhere/snapshot").status == 404)

        // Audit: pages by sequence, filters, verify; tag history; the compliance report as JSON and markdown.
        let first = try object(try get(server, "/v1/audit?limit=5").body)
        let next = try #require(first["next"] as? Int)
        #expect((first["records"] as? [[String: Any]])?.count == 5 && next == 5)
        let second = try object(try get(server, "/v1/audit?limit=5&after=\(next)").body)
        #expect((second["records"] as? [[String: Any]])?.first?["sequence"] as? String == "6")
        let applies = try object(try get(server, "/v1/audit?environment=dev&artifact=prompt/support-triage").body)["records"] as? [[String: Any]] ?? []
        #expect(!applies.isEmpty && applies.allSatisfy { $0["environment"] as? String == "dev" }, "\(applies)")
        #expect(try get(server, "/v1/audit?since=yesterday").status == 400)
        #expect(try get(server, "/v1/audit?limit=5000").status == 400)
        let verify = try object(try get(server, "/v1/audit/verify").body)
        #expect(verify["intact"] as? Bool == true && (verify["records"] as? Int ?? 0) > 10, "\(verify)")
        let history = try get(server, "/v1/artifacts/deployment/support-bot/history?environment=dev")
        #expect(history.status == 200 && history.body.contains("deployment/support-bot#dev#1"), "\(history)")
        #expect(try get(server, "/v1/artifacts/deployment/support-bto/history").status == 404)
        let report = try get(server, "/v1/environments/dev/report")
        #expect(report.status == 200 && report.body.contains("support-triage"), "\(report)")
        let markdown = try get(server, "/v1/environments/dev/report?format=markdown&at=2026-01-01T00:00:00Z")
        #expect(markdown.status == 200 && markdown.headers["content-type"]?.hasPrefix("text/markdown") == true && markdown.body.hasPrefix("# Compliance report: dev"), "\(markdown)")
        #expect(try get(server, "/v1/environments/dev/report?at=soon").status == 400)
        #expect(server.stop() == 0)
    }

    @Test("export writes an environment as files behind a link swapped in one rename: a reader never sees a mix; again is a no-op; serve --export-dir keeps every environment current")
    func exportFiles() throws {
        let repo = try CLITests.exampleRepository()
        let registry = ["--path", "registry", "--actor", "ci"]
        #expect(try cli.run(["register", "--all"] + registry, in: repo.directory).status == 0)
        #expect(try cli.run(["promote", "deployment/support-bot@1.4.0", "--to", "dev"] + registry, in: repo.directory).status == 0)
        #expect(try cli.run(["apply", "--env", "dev", "--auto-approve"] + registry, in: repo.directory).status == 0)
        #expect(try cli.run(["promote", "prompt/support-triage@1.3.0", "--to", "staging"] + registry, in: repo.directory).status == 0)
        #expect(try cli.run(["apply", "--env", "staging", "--auto-approve"] + registry, in: repo.directory).status == 0)
        let out = repo.directory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let link = out.appendingPathComponent("live").path

        let first = try cli.run(["export", "--env", "dev", link, "--path", "registry"], in: repo.directory)
        #expect(first.status == 0 && first.output.contains("exported 8 artifacts of 'dev'"), "\(first.output)")
        let again = try cli.run(["export", "--env", "dev", link, "--path", "registry"], in: repo.directory)
        #expect(again.status == 0 && again.output.contains("already holds 8 artifacts"), "\(again.output)")
        let prompt = try String(contentsOfFile: link + "/prompt/support-triage.json", encoding: .utf8)
        #expect(prompt.hasPrefix("{\"apiVersion\":\"cairn/v1\""), "\(prompt.prefix(80))")

        // A reader checks, over and over, that every file the manifest lists hashes to the digest it gives, while the
        // link swaps between two environments' exports.
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        reader.arguments = ["python3", "-c", """
            import hashlib, json, os, sys, time
            link, stop = sys.argv[1], sys.argv[2]
            reads = mixes = 0
            while not os.path.exists(stop):
                try:
                    base = os.path.realpath(link)
                    manifest = json.load(open(os.path.join(base, "manifest.json")))
                    for entry in manifest["artifacts"]:
                        data = open(os.path.join(base, entry["file"]), "rb").read()
                        if "sha256:" + hashlib.sha256(data).hexdigest() != entry["digest"]:
                            mixes += 1
                    reads += 1
                except FileNotFoundError:
                    pass  # the folder a reader resolved was cleaned up two swaps later: it reads again
            print(reads, mixes)
            """, link, out.appendingPathComponent("stop").path]
        let pipe = Pipe()
        reader.standardOutput = pipe
        try reader.run()
        for round in 0..<16 {
            let environment = round % 2 == 0 ? "staging" : "dev"
            #expect(try cli.run(["export", "--env", environment, link, "--path", "registry"], in: repo.directory).status == 0)
        }
        FileManager.default.createFile(atPath: out.appendingPathComponent("stop").path, contents: nil)
        reader.waitUntilExit()
        let counts = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(counts.count == 2 && counts[0] > 0 && counts[1] == 0, "reads, mixes: \(counts)")
        // The one linked and the one before it are kept; older exports are gone.
        let folders = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasPrefix(".live-") }
        #expect(folders.count == 2, "\(folders)")

        // Not over a folder of the user's; not for an environment no one defined.
        let mine = out.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: mine, withIntermediateDirectories: true)
        let refused = try cli.run(["export", "--env", "dev", mine.path, "--path", "registry"], in: repo.directory)
        #expect(refused.status == 2 && refused.output.contains("exists"), "\(refused.output)")
        #expect(try cli.run(["export", "--env", "dve", out.appendingPathComponent("x").path, "--path", "registry"], in: repo.directory).status == 2)

        // serve --export-dir: every environment, kept current by the agent.
        let exports = repo.directory.appendingPathComponent("exports")
        let server = try Server(in: repo.directory, arguments: ["--path", "registry", "--interval", "1", "--export-dir", exports.path])
        #expect(eventually { FileManager.default.fileExists(atPath: exports.path + "/staging/dataset/triage-eval-set.json") })
        // Each environment is exported in turn: the others may land a moment after staging.
        #expect(eventually { FileManager.default.fileExists(atPath: exports.path + "/dev/deployment/support-bot.json") })
        #expect(eventually { FileManager.default.fileExists(atPath: exports.path + "/production/manifest.json") })
        #expect(try cli.run(["promote", "prompt/sentiment-classify@0.4.2", "--to", "staging"] + registry, in: repo.directory).status == 0)
        #expect(try cli.run(["apply", "--env", "staging", "--auto-approve"] + registry, in: repo.directory).status == 0)
        #expect(eventually { FileManager.default.fileExists(atPath: exports.path + "/staging/prompt/sentiment-classify.json") })
        #expect(server.stop() == 0)
    }
}
