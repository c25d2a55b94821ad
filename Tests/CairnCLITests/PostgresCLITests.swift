import CairnTestSupport
import Foundation
import Testing

/// Whether the PostgreSQL tests run: with a server, and always under CI (where a missing one fails them).
enum TestServer {
    static var enabled: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["CAIRN_TEST_POSTGRES_URL"] != nil || environment["CI"] == "true" || environment["CAIRN_REQUIRE_POSTGRES"] == "1"
    }
}

/// cairn on a PostgreSQL store, as CI runners and agents on several machines use it: `--state postgres://...` or
/// `CAIRN_STATE_URL`, several processes at once. Runs when `scripts/with-postgres.sh` started a server (make test
/// and .ci/run do); with CI=true a missing server fails these tests.
@Suite("cairn on PostgreSQL", .enabled(if: TestServer.enabled))
struct PostgresCLITests {
    let cli = CLITests()

    struct NoServer: Error, CustomStringConvertible {
        var description: String { "CAIRN_TEST_POSTGRES_URL is not set: run the tests through scripts/with-postgres.sh (make test does)" }
    }

    /// The test database, in a schema of its own.
    static func freshURL() throws -> String {
        guard let base = ProcessInfo.processInfo.environment["CAIRN_TEST_POSTGRES_URL"] else {
            throw NoServer()
        }
        return base + "?schema=cli_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    }

    /// registry-example with `environments` instead of its own (no policies), prompt/summarize-ticket@2.0.1 registered
    /// and assigned to each.
    static func repository(environments: [String]) throws -> TestRepository {
        let repo = try TestRepository()
        try repo.copy(from: SourceTree.registryExample, to: "registry")
        let config = repo.directory.appendingPathComponent("registry/cairn.yaml")
        let text = try String(contentsOf: config, encoding: .utf8)
        let head = text[..<text.range(of: "environments:\n")!.upperBound]
        try repo.write("registry/cairn.yaml", String(head) + environments.map { "  - name: \($0)\n" }.joined())
        try repo.commitAll()
        try repo.tag("prompt/summarize-ticket@v2.0.1", message: "register")
        for environment in environments { try repo.tag("prompt/summarize-ticket#\(environment)#1", message: "assign") }
        return repo
    }

    @Test("apply, plan, status, audit and unlock on --state postgres://...; CAIRN_STATE_URL names the same store; no password is printed")
    func lifecycle() async throws {
        let url = try Self.freshURL()
        let repo = try Self.repository(environments: ["dev"])
        let password = url.split(separator: ":")[2].split(separator: "@")[0]
        let state = ["--path", "registry", "--state", url]
        let apply = try cli.run(["apply", "--env", "dev", "--auto-approve", "--actor", "ci"] + state, in: repo.directory)
        #expect(apply.status == 0, "\(apply.output)")
        #expect(apply.output.contains("prompt/summarize-ticket") && !apply.output.contains(password))
        let plan = try cli.run(["plan", "--env", "dev"] + state, in: repo.directory)
        #expect(plan.status == 0 && plan.output.contains("no changes"), "\(plan.output)")
        let status = try cli.run(["status", "--env", "dev", "--format", "json"] + state, in: repo.directory)
        #expect(status.status == 0 && status.output.contains("summarize-ticket") && status.output.contains("2.0.1"), "\(status.output)")
        // CAIRN_STATE_URL in the child's environment only (tests run in parallel in this process).
        let environment = ["CAIRN_STATE_URL": url]
        let verify = try DayOneCLITests().launch(CLITests.binary, ["audit", "verify", "--path", "registry"], in: repo.directory, environment: environment)
        #expect(verify.status == 0 && verify.output.contains("1 record"), "\(verify.output)")
        let log = try DayOneCLITests().launch(CLITests.binary, ["audit", "log", "--env", "dev", "--path", "registry"], in: repo.directory, environment: environment)
        #expect(log.status == 0 && log.output.contains("apply") && log.output.contains("ci"), "\(log.output)")
        let unlock = try DayOneCLITests().launch(CLITests.binary, ["unlock", "--env", "dev", "no-such-lease", "--path", "registry"], in: repo.directory, environment: environment)
        #expect(unlock.status == 1 && unlock.output.contains("no lease 'no-such-lease'"), "\(unlock.output)")
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent("registry/.cairn/state.sqlite").path))
        #expect(!FileManager.default.fileExists(atPath: repo.directory.appendingPathComponent(".cairn/state.sqlite").path))
    }

    @Test("a server that is not there, bad credentials and a bad URL are errors (exit 2) that print no password")
    func refusals() async throws {
        let repo = try Self.repository(environments: ["dev"])
        let closed = try cli.run(["status", "--env", "dev", "--path", "registry", "--state", "postgres://ann:hunter2@127.0.0.1:1/db"], in: repo.directory)
        #expect(closed.status == 2 && closed.output.contains("cannot connect to postgres://ann@127.0.0.1:1/db") && !closed.output.contains("hunter2"), "\(closed.output)")
        let wrong = try Self.freshURL().replacingOccurrences(of: #"cairn:[^@]*@"#, with: "cairn:hunter2@", options: .regularExpression)
        let denied = try cli.run(["status", "--env", "dev", "--path", "registry", "--state", wrong], in: repo.directory)
        #expect(denied.status == 2 && denied.output.contains("password authentication failed") && !denied.output.contains("hunter2"), "\(denied.output)")
        let bad = try cli.run(["status", "--env", "dev", "--path", "registry", "--state", "postgres://ann:hunter2@h/db?sslmode=maybe"], in: repo.directory)
        #expect(bad.status == 2 && bad.output.contains("sslmode 'maybe'") && !bad.output.contains("hunter2"), "\(bad.output)")
    }

    @Test("eight applies of one environment from eight processes at once: exactly one applies; the others name the holder or find nothing to do")
    func concurrentApplies() async throws {
        let url = try Self.freshURL()
        let repo = try Self.repository(environments: ["dev"])
        let results = try Self.runAtOnce(8, in: repo.directory) { index in
            ["apply", "--env", "dev", "--auto-approve", "--actor", "runner-\(index)", "--path", "registry", "--state", url]
        }
        let applied = results.filter { $0.status == 0 && $0.output.contains("applied 1 change to 'dev' (state serial 1)") }
        #expect(applied.count == 1, "\(results)")
        for other in results where !applied.contains(where: { $0.output == other.output }) {
            // Refused while another held the lease (named), or planned before the winner committed and found stale, or
            // planned after it (nothing to do).
            let named = other.status == 1 && other.output.contains("is being applied by runner-")
            let stale = other.status == 1 && other.output.contains("the store's serial moved from 0 to 1")
            let nothing = other.status == 0 && other.output.contains("no changes")
            #expect(named || stale || nothing, "\(other.output)")
        }
        let log = try cli.run(["audit", "log", "--env", "dev", "--format", "json", "--path", "registry", "--state", url], in: repo.directory)
        #expect(log.output.components(separatedBy: "\"action\" : \"apply\"").count - 1 == 1 || log.output.components(separatedBy: "\"action\": \"apply\"").count - 1 == 1, "\(log.output)")
        #expect(try cli.run(["audit", "verify", "--path", "registry", "--state", url], in: repo.directory).status == 0)
    }

    @Test("four processes applying twenty environments at once append one chain: it verifies, with no gap")
    func concurrentAudit() async throws {
        let url = try Self.freshURL()
        let environments = (1...20).map { "e\($0)" }
        let repo = try Self.repository(environments: environments)
        let results = try Self.runAtOnce(4, in: repo.directory) { index in
            // Each process applies its five environments one after another (a shell loop).
            ["--shell", environments[(index * 5)..<(index * 5 + 5)].map {
                "\"$CAIRN\" apply --env \($0) --auto-approve --actor w\(index) --path registry --state '\(url)' || exit 1"
            }.joined(separator: "; ")]
        }
        #expect(results.allSatisfy { $0.status == 0 }, "\(results)")
        let verify = try cli.run(["audit", "verify", "--path", "registry", "--state", url], in: repo.directory)
        #expect(verify.status == 0 && verify.output.contains("20 records"), "\(verify.output)")
    }

    @Test("state migrate copies an SQLite store into PostgreSQL (counts printed, chain verified) and refuses a non-empty target; state backup copies SQLite only")
    func migrateAndBackup() async throws {
        let url = try Self.freshURL()
        let repo = try Self.repository(environments: ["dev", "staging"])
        let sqlite = repo.directory.appendingPathComponent("registry/.cairn/state.sqlite").path
        for environment in ["dev", "staging"] {
            #expect(try cli.run(["apply", "--env", environment, "--auto-approve", "--actor", "ci", "--path", "registry"], in: repo.directory).status == 0)
        }
        let migrate = try cli.run(["state", "migrate", "--from", "sqlite:" + sqlite, "--to", url], in: repo.directory)
        #expect(migrate.status == 0 && migrate.output.contains("copied 2 environments, 2 deployed rows and 2 audit records; the copy's chain verifies"), "\(migrate.output)")
        let local = try cli.run(["status", "--env", "staging", "--format", "json", "--path", "registry"], in: repo.directory)
        let shared = try cli.run(["status", "--env", "staging", "--format", "json", "--path", "registry", "--state", url], in: repo.directory)
        #expect(shared.status == 0 && shared.output == local.output, "\(shared.output)")
        let again = try cli.run(["state", "migrate", "--from", sqlite, "--to", url], in: repo.directory)
        #expect(again.status == 2 && again.output.contains("is not empty"), "\(again.output)")
        let missing = try cli.run(["state", "migrate", "--from", sqlite + ".nope", "--to", url], in: repo.directory)
        #expect(missing.status == 2 && missing.output.contains("does not exist"), "\(missing.output)")

        let backupPath = repo.directory.appendingPathComponent("backup.sqlite").path
        let backup = try cli.run(["state", "backup", "--to", backupPath, "--path", "registry"], in: repo.directory)
        #expect(backup.status == 0 && backup.output.contains("its audit chain verifies"), "\(backup.output)")
        let fromBackup = try cli.run(["status", "--env", "staging", "--format", "json", "--path", "registry", "--state", backupPath], in: repo.directory)
        #expect(fromBackup.output == local.output)
        #expect(try cli.run(["state", "backup", "--to", backupPath, "--path", "registry"], in: repo.directory).status == 2)
        let server = try cli.run(["state", "backup", "--to", backupPath + "2", "--path", "registry", "--state", url], in: repo.directory)
        #expect(server.status == 2 && server.output.contains("pg_dump"), "\(server.output)")
    }

    @Test("agents on two machines, one database: kill -9 the one applying, and the other applies once its lease runs out")
    func twoMachines() async throws {
        let url = try Self.freshURL()
        let (base, schema) = (String(url[..<url.range(of: "?schema=")!.lowerBound]), String(url[url.range(of: "?schema=")!.upperBound...]))
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-machines-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let repo = work.appendingPathComponent("repo")
        // 2,000 artifacts: an apply takes long enough to be killed while it holds the lease.
        try Self.execute("/usr/bin/env", ["python3", SourceTree.root.appendingPathComponent("scripts/gen-registry.py").path, repo.path, "2000", "20", "dev"])
        func onMachine(_ machine: String, _ arguments: [String]) -> Process { Self.onMachine(machine, arguments, in: repo) }
        let apply = ["apply", "--env", "dev", "--auto-approve", "--lease", "4s", "--path", "registry", "--state", url]
        // Deployed once, then every row edited behind cairn's back: the next apply rewrites all 2,000.
        #expect(try cli.run(apply + ["--actor", "setup"], in: repo).status == 0)
        try Self.execute("/usr/bin/env", ["psql", base, "-q", "-v", "ON_ERROR_STOP=1", "-c", "UPDATE \(schema).deployed SET content = content || ' '"])
        // Another session holds the chain's head, so agent-a's commit waits (holding the lease) until it is killed.
        let locker = try await Self.lockAuditHead(base, schema)
        defer { if locker.isRunning { locker.terminate() } }
        let agentA = onMachine("machine-a", apply + ["--actor", "agent-a"])
        // Its plan is longer than a pipe holds: its output goes to a file.
        let outputA = work.appendingPathComponent("agent-a.out")
        FileManager.default.createFile(atPath: outputA.path, contents: nil)
        agentA.standardOutput = try FileHandle(forWritingTo: outputA)
        agentA.standardError = agentA.standardOutput
        try agentA.run()
        let started = Date()
        // agent-a holds the lease and waits on the head: killed there, as if its machine died mid-commit.
        while try !Self.waitsHoldingLease("agent-a", base, schema) {
            guard Date().timeIntervalSince(started) < 120, agentA.isRunning else {
                let output = String(decoding: (try? Data(contentsOf: outputA)) ?? Data(), as: UTF8.self)
                Issue.record("agent-a was not seen holding the lease (running: \(agentA.isRunning)): \(output.split(separator: "\n").filter { !$0.hasPrefix("  ") }.joined(separator: "\n").suffix(3000))")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(agentA.processIdentifier, SIGKILL)
        agentA.waitUntilExit()
        try Self.unlockAuditHead(locker, base, schema)
        let killed = Date()
        #expect(try Self.query(base, schema, "SELECT count(*) FROM \(schema).deployed WHERE encode(sha256(convert_to(content, 'UTF8')), 'hex') <> digest") == "2000",
                "agent-a committed before it was killed")
        var refusals: [String] = []
        var appliedAfter: TimeInterval?
        while appliedAfter == nil && Date().timeIntervalSince(killed) < 60 {
            let agentB = onMachine("machine-b", apply + ["--actor", "agent-b"])
            try agentB.run()
            let output = String(decoding: (agentB.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            agentB.waitUntilExit()
            if agentB.terminationStatus == 0 && output.contains("applied 2000 changes") {
                appliedAfter = Date().timeIntervalSince(killed)
            } else {
                #expect(output.contains("'dev' is being applied by agent-a") && output.contains("on machine-a"), "\(output)")
                refusals.append(output)
                try await Task.sleep(for: .milliseconds(300))
            }
        }
        let after = try #require(appliedAfter, "agent-b never applied: \(refusals.last ?? "")")
        #expect(after < 4 + 30, "agent-b applied \(after) s after the kill")
        let log = try cli.run(["audit", "log", "--env", "dev", "--format", "json", "--path", "registry", "--state", url], in: repo)
        #expect(log.output.contains("lease-takeover") && log.output.contains("it expired at"), "\(log.output.prefix(2000))")
        #expect(try cli.run(["audit", "verify", "--path", "registry", "--state", url], in: repo).status == 0)
    }

    @Test("two cairn serve agents on two machines, one database: one applies while the other is busy and both serve reads; kill -9 the one applying, and the other applies once its lease runs out")
    func twoServes() async throws {
        let url = try Self.freshURL()
        let (base, schema) = (String(url[..<url.range(of: "?schema=")!.lowerBound]), String(url[url.range(of: "?schema=")!.upperBound...]))
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-serves-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let repo = work.appendingPathComponent("repo")
        try Self.execute("/usr/bin/env", ["python3", SourceTree.root.appendingPathComponent("scripts/gen-registry.py").path, repo.path, "2000", "20", "dev"])
        let adopted = TestRepository(adopting: repo)
        let config = repo.appendingPathComponent("registry/cairn.yaml")
        try adopted.write("registry/cairn.yaml", try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "  - {name: dev}", with: "  - {name: dev, policy: {sync: auto}}"))
        _ = try adopted.commitAll("dev syncs itself")
        let state = ["--path", "registry", "--state", url]
        // Deployed once, then every row edited behind cairn's back: the agents' next apply rewrites all 2,000.
        #expect(try cli.run(["apply", "--env", "dev", "--auto-approve", "--actor", "setup"] + state, in: repo).status == 0)
        try Self.execute("/usr/bin/env", ["psql", base, "-q", "-v", "ON_ERROR_STOP=1", "-c", "UPDATE \(schema).deployed SET content = content || ' '"])
        // agent-a's commit waits on the chain's head (holding the lease) until it is killed.
        let locker = try await Self.lockAuditHead(base, schema)
        defer { if locker.isRunning { locker.terminate() } }

        /// A serve on its machine, its output in a file, and its address once it listens.
        func serve(_ machine: String, _ actor: String) async throws -> (Process, URL, String) {
            let output = work.appendingPathComponent("\(actor).out")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let process = Self.onMachine(machine, ["serve", "--listen", "127.0.0.1:0", "--interval", "1", "--lease", "4s", "--actor", actor] + state, in: repo)
            process.standardOutput = try FileHandle(forWritingTo: output)
            process.standardError = process.standardOutput
            try process.run()
            for _ in 0..<600 {
                let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
                if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }) {
                    return (process, output, String(line.dropFirst("listening on ".count)))
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw CLITests.MissingBinary()
        }
        func get(_ address: String, _ path: String) throws -> String {
            try DayOneCLITests().launch(URL(fileURLWithPath: "/usr/bin/env"), ["curl", "-s", "--max-time", "60", "http://\(address)\(path)"], in: work).output
        }
        /// A series of the agent's `/metrics`, 0 before it exists.
        func metric(_ address: String, _ series: String) throws -> Int {
            let line = try get(address, "/metrics").split(separator: "\n").first { $0.hasPrefix(series + " ") }
            return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }
        func deployedCount(_ address: String) throws -> Int? {
            ((try? JSONSerialization.jsonObject(with: Data(get(address, "/v1/environments/dev/artifacts").utf8))) as? [String: Any])
                .flatMap { $0["artifacts"] as? [Any] }?.count
        }
        let busySeries = "cairn_reconcile_duration_seconds_count{environment=\"dev\",result=\"busy\"}"
        let appliedSeries = "cairn_apply_total{environment=\"dev\",result=\"applied\"}"

        let (agentA, outputA, addressA) = try await serve("machine-a", "agent-a")
        let started = Date()
        while try !Self.waitsHoldingLease("agent-a", base, schema) {
            guard Date().timeIntervalSince(started) < 120, agentA.isRunning else {
                Issue.record("agent-a was not seen holding the lease: \(String(decoding: (try? Data(contentsOf: outputA)) ?? Data(), as: UTF8.self).suffix(2000))")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // agent-b finds the environment busy and says who holds it; both answer reads meanwhile.
        let (agentB, _, addressB) = try await serve("machine-b", "agent-b")
        defer { if agentB.isRunning { agentB.terminate() } }
        var busy = 0
        for _ in 0..<300 where busy == 0 {
            busy = try metric(addressB, busySeries)
            if busy == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(busy > 0, "agent-b never found dev busy")
        let environments = try get(addressB, "/v1/environments")
        #expect(environments.contains("\"result\":\"busy\"") && environments.contains("agent-a"), "\(environments.prefix(2000))")
        #expect(try deployedCount(addressA) == 2000 && deployedCount(addressB) == 2000, "both serve reads while agent-a commits")

        kill(agentA.processIdentifier, SIGKILL)
        agentA.waitUntilExit()
        try Self.unlockAuditHead(locker, base, schema)
        let killed = Date()
        // agent-b takes the lease within its time (measured by the lease row, not by how long 2,000 rows take to
        // write on a busy machine), then applies.
        var tookOver: TimeInterval?
        while tookOver == nil && Date().timeIntervalSince(killed) < 60 {
            if try Self.query(base, schema, "SELECT holder FROM \(schema).lease WHERE environment = 'dev'") == "agent-b" {
                tookOver = Date().timeIntervalSince(killed)
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let after = try #require(tookOver, "agent-b never took the lease: \((try? get(addressB, "/v1/environments")) ?? "")")
        #expect(after < 4 + 30, "agent-b took the lease \(after) s after the kill")
        var applied = false
        for _ in 0..<600 where !applied {
            applied = try metric(addressB, appliedSeries) > 0
            if !applied { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(applied, "agent-b never applied: \((try? get(addressB, "/metrics")) ?? "")")
        #expect(try Self.query(base, schema, "SELECT count(*) FROM \(schema).deployed WHERE encode(sha256(convert_to(content, 'UTF8')), 'hex') <> digest") == "0")
        agentB.terminate()
        agentB.waitUntilExit()
        #expect(agentB.terminationStatus == 0)
        let log = try cli.run(["audit", "log", "--env", "dev", "--format", "json"] + state, in: repo)
        #expect(log.output.contains("lease-takeover") && log.output.contains("agent-b"), "\(log.output.suffix(2000))")
        #expect(try cli.run(["audit", "verify"] + state, in: repo).status == 0)
    }

    /// cairn as run on another machine: its own host name (a UTS namespace), so that its process id means nothing here.
    static func onMachine(_ machine: String, _ arguments: [String], in directory: URL) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--uts", "sh", "-c", "hostname \(machine) && exec \"$0\" \"$@\"", CLITests.binary.path] + arguments
        process.currentDirectoryURL = directory
        process.standardOutput = Pipe()
        process.standardError = process.standardOutput
        return process
    }

    /// A psql session that holds the audit chain's head (so that an apply's commit waits there, holding its lease).
    static func lockAuditHead(_ base: String, _ schema: String) async throws -> Process {
        let locker = Process()
        locker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // The schema in the statement's text tells this session from another test's (tests run at once).
        locker.arguments = ["psql", base, "-q", "-c", "BEGIN; SELECT 1 FROM \(schema).audit_head FOR UPDATE; SELECT pg_sleep(300) AS \(schema);"]
        locker.standardOutput = FileHandle.nullDevice
        locker.standardError = FileHandle.nullDevice
        try locker.run()
        let started = Date()
        while try query(base, schema, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(300) AS \(schema)%' AND state = 'active' AND pid <> pg_backend_pid()") != "1" {
            guard locker.isRunning, Date().timeIntervalSince(started) < 60 else { throw NoServer() }
            try await Task.sleep(for: .milliseconds(20))
        }
        return locker
    }

    /// Ends the locking session (the server notices neither a dead client nor a terminated psql while pg_sleep runs).
    static func unlockAuditHead(_ locker: Process, _ base: String, _ schema: String) throws {
        _ = try query(base, schema, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(300) AS \(schema)%' AND pid <> pg_backend_pid()")
        locker.waitUntilExit()
    }

    /// Whether `holder` holds the lease and a cairn session waits on a lock (its commit, behind `lockAuditHead`).
    static func waitsHoldingLease(_ holder: String, _ base: String, _ schema: String) throws -> Bool {
        try query(base, schema, """
            SELECT count(*) FROM \(schema).lease l, pg_stat_activity a WHERE l.holder = '\(holder)' AND l.id <> ''
            AND a.wait_event_type = 'Lock' AND a.application_name = 'cairn' AND a.query LIKE '%\(schema).%'
            """) == "1"
    }

    static func execute(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw NoServer() }
    }

    /// The one value `sql` selects, through psql.
    static func query(_ base: String, _ schema: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", base, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice  // before the store is first opened, its tables do not exist
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts `count` processes at once (cairn with the given arguments, or `sh -c` for `["--shell", SCRIPT]`) and
    /// waits for all.
    static func runAtOnce(_ count: Int, in directory: URL, _ arguments: (Int) -> [String]) throws -> [(status: Int32, output: String)] {
        var running: [(Process, Pipe)] = []
        for index in 0..<count {
            let process = Process()
            let words = arguments(index)
            if words.first == "--shell" {
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", words[1]]
                var environment = ProcessInfo.processInfo.environment
                environment["CAIRN"] = CLITests.binary.path
                process.environment = environment
            } else {
                process.executableURL = CLITests.binary
                process.arguments = words
            }
            process.currentDirectoryURL = directory
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            running.append((process, pipe))
        }
        for (process, _) in running { try process.run() }
        return running.map { process, pipe in
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }
}
