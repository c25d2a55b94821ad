import CairnTestSupport
import Foundation
import Testing

/// Evidence through the command line: evaluations (by hand, from promptfoo and lm-evaluation-harness results) and
/// approvals as digest-bound tags, counted by gatesMustPass and minApprovals only when they are evidence, never as
/// the YAML's claims; signed with keys from ssh-keygen; pushed to a bare remote and verified in a fresh clone.
@Suite("Evidence")
struct EvidenceCLITests {
    let cli = CLITests()

    /// registry-example with dev asking for gates and two signed approvals (not by the version's author, by someone
    /// at example.com), its allowed signers listing jane, bob and the commits' author; everything registered.
    struct Setup {
        let repo: TestRepository
        let jane: TestKey
        let bob: TestKey
        let author: TestKey

        init() throws {
            (jane, bob, author) = (try TestKey(), try TestKey(type: "ecdsa"), try TestKey())
            repo = try signedRegistry(devPolicy: ["gatesMustPass: true", "approvals: {min: 2, excludeAuthor: true}", "approvers: [\"*@example.com\"]"],
                                      allowedSigners: [jane.allowedSigner("jane@example.com"), bob.allowedSigner("bob@example.com"),
                                                       author.allowedSigner("author@example.com")])
        }

        /// Runs cairn as `key`'s holder (git's user.email and user.signingKey), or as an unsigned user.
        func run(_ arguments: [String], as key: TestKey?, email: String) throws -> (status: Int32, output: String) {
            if let key { try key.configure(repo, email: email) } else {
                try repo.git(["config", "user.email", email])
                try? repo.git(["config", "--unset", "user.signingKey"])
            }
            return try CLITests().run(arguments + ["--path", "registry"], in: repo.directory)
        }
    }

    static let promptfoo = """
        {"evalId": "eval-1", "config": {"description": "support-bot regression"},
         "results": {"version": 3, "timestamp": "2026-12-01T10:00:00Z",
           "results": [
             {"success": true, "score": 1, "namedScores": {"accuracy": 1}, "gradingResult": {"pass": true, "score": 1, "componentResults": [{"pass": true, "score": 1, "assertion": {"type": "equals", "metric": "accuracy"}}]}},
             {"success": true, "score": 1, "namedScores": {"accuracy": 0.9}, "gradingResult": {"pass": true, "score": 0.9, "componentResults": [{"pass": true, "score": 0.9, "assertion": {"type": "llm-rubric", "metric": "accuracy"}}]}},
             {"success": false, "score": 0.9, "namedScores": {"accuracy": 0.9}, "gradingResult": {"pass": false, "score": 0.9, "componentResults": [{"pass": false, "score": 0, "assertion": {"type": "contains"}}, {"pass": true, "score": 0.9, "assertion": {"type": "llm-rubric", "metric": "accuracy"}}]}},
             {"success": true, "score": 1, "namedScores": {"accuracy": 0.96}, "gradingResult": {"pass": true, "score": 1, "componentResults": []}}
           ],
           "stats": {"successes": 3, "failures": 1, "errors": 0, "tokenUsage": {"total": 1200}}}}
        """

    static let lmEval = """
        {"results": {"hellaswag": {"alias": "hellaswag", "acc,none": 0.5712, "acc_stderr,none": 0.0049, "acc_norm,none": 0.7521, "acc_norm_stderr,none": 0.0043},
                     "arc_easy": {"alias": "arc_easy", "acc,none": 0.81}},
         "n-samples": {"hellaswag": {"original": 10042, "effective": 10042}},
         "config": {"model": "hf", "model_args": "pretrained=acme/triage"}, "git_hash": "abc1234"}
        """

    @Test("gates count evaluation records, not the YAML's result; approvals count distinct signed approvers for the digest and environment")
    func gatesAndApprovals() async throws {
        let setup = try Setup()
        let bot = "deployment/support-bot@1.4.0"
        func promote() throws -> (status: Int32, output: String) { try setup.run(["promote", bot, "--to", "dev"], as: nil, email: "ci@example.com") }
        let claimed = try promote()
        #expect(claimed.status == 1 && claimed.output.contains("gatesMustPass") && claimed.output.contains("has no evaluation record"), "\(claimed.output)")

        let results = setup.repo.directory.appendingPathComponent("promptfoo.json")
        try Data(Self.promptfoo.utf8).write(to: results)
        let added = try setup.run(["evidence", "add", bot, "--metric", "accuracy", "--from-promptfoo", results.path, "--threshold", "0.9",
                                   "--dataset", "dataset/triage-eval-set@1.2.0"], as: nil, email: "ci@example.com")
        #expect(added.status == 0, "\(added.output)")
        let passRate = try setup.run(["evidence", "add", bot, "--metric", "pass-rate", "--from-promptfoo", results.path], as: nil, email: "ci@example.com")
        #expect(passRate.status == 0, "\(passRate.output)")
        let missing = try setup.run(["evidence", "add", bot, "--metric", "toxicity", "--from-promptfoo", results.path], as: nil, email: "ci@example.com")
        #expect(missing.status == 2 && missing.output.contains("pass-rate, accuracy"), "\(missing.output)")

        // The gate is met now (accuracy 0.94 on its dataset); the approvals are not.
        var refused = try promote()
        #expect(refused.status == 1 && refused.output.contains("minApprovals") && refused.output.contains("0 distinct signed approvals"), "\(refused.output)")
        // Counted: jane (twice, once); not counted: the author, an unsigned one, one for another environment.
        #expect(try setup.run(["approve", bot, "--env", "dev", "--sign"], as: setup.jane, email: "jane@example.com").status == 0)
        #expect(try setup.run(["approve", bot, "--sign", "--comment", "again"], as: setup.jane, email: "jane@example.com").status == 0)
        #expect(try setup.run(["approve", bot, "--env", "dev", "--sign"], as: setup.author, email: "author@example.com").status == 0)
        #expect(try setup.run(["approve", bot, "--env", "dev"], as: nil, email: "bob@example.com").status == 0)
        #expect(try setup.run(["approve", bot, "--env", "staging", "--sign"], as: setup.bob, email: "bob@example.com").status == 0)
        refused = try promote()
        #expect(refused.status == 1 && refused.output.contains("1 distinct signed approval for 'dev' (jane@example.com)"), "\(refused.output)")
        #expect(refused.output.contains("wrote the commit") && refused.output.contains("the tag is not signed"), "\(refused.output)")

        let bobs = try setup.run(["approve", bot, "--env", "dev", "--sign"], as: setup.bob, email: "bob@example.com")
        #expect(bobs.status == 0, "\(bobs.output)")
        let promoted = try promote()
        #expect(promoted.status == 0, "\(promoted.output)")
        let applied = try setup.run(["apply", "--env", "dev", "--auto-approve"], as: nil, email: "ci@example.com")
        #expect(applied.status == 0, "\(applied.output)")

        // The report answers who approved it and on what evidence, from the apply's audit record.
        let report = try setup.run(["report", "--env", "dev"], as: nil, email: "ci@example.com")
        #expect(report.output.contains("| deployment/support-bot@1.4.0 |") && report.output.contains("bob@example.com (SHA256:")
                && report.output.contains("jane@example.com (SHA256:") && report.output.contains("accuracy=0.94 on dataset/triage-eval-set@1.2.0 (cairn-eval/"),
                "\(report.output)")
        let status = try setup.run(["status", "--env", "dev"], as: nil, email: "ci@example.com")
        #expect(status.output.contains("approved by ") && status.output.contains("bob@example.com (SHA256:") && status.output.contains("evaluated ") && status.output.contains("accuracy=0.94 (unsigned)"),
                "\(status.output)")
        // history interleaves the evidence with the tags, each with its signer.
        let history = try setup.run(["history", "deployment/support-bot"], as: nil, email: "ci@example.com").output
        #expect(history.contains("approval       deployment/support-bot v1.4.0 for dev  by") && history.contains("[signed by bob@example.com")
                && history.contains("evaluation     deployment/support-bot v1.4.0 accuracy=0.94 on dataset/triage-eval-set@1.2.0"), "\(history)")
        let historyJSON = try setup.run(["history", "deployment/support-bot", "--format", "json"], as: nil, email: "ci@example.com").output
        let events = try #require(try JSONSerialization.jsonObject(with: Data(historyJSON.utf8)) as? [[String: Any]])
        #expect(events.filter { $0["event"] as? String == "approval" }.count == 6 && events.contains { $0["event"] as? String == "assignment" })
        let export = try setup.run(["audit", "export"], as: nil, email: "ci@example.com")
        #expect(export.output.contains("cairn-approval/deployment/support-bot/v1.4.0/"), "\(export.output.prefix(3000))")

        let list = try setup.run(["evidence", "list", bot], as: nil, email: "ci@example.com")
        #expect(list.output.contains("8 records") && list.output.contains("signed by jane@example.com (ssh-ed25519 SHA256:")
                && list.output.contains("signed by bob@example.com (ecdsa-sha2-nistp256") && list.output.contains("evaluation accuracy = 0.94"), "\(list.output)")
        let json = try setup.run(["evidence", "list", bot, "--format", "json"], as: nil, email: "ci@example.com")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]])
        let imported = try #require(items.first { (($0["statement"] as? [String: Any])?["predicate"] as? [String: Any])?["metric"] as? String == "accuracy" })
        let predicate = try #require((imported["statement"] as? [String: Any])?["predicate"] as? [String: Any])
        #expect(predicate["tool"] as? String == "promptfoo" && predicate["passed"] as? Bool == true && predicate["suite"] as? String == "support-bot regression")
        #expect(((predicate["source"] as? [String: Any])?["digest"] as? [String: String])?["sha256"]?.count == 64)
        #expect((predicate["details"] as? [String: Double])?["assertionsFailed"] == 1)
    }

    @Test("an evaluation imported from lm-evaluation-harness results; a statement about another digest is listed as not counted")
    func lmEvalAndOtherDigest() async throws {
        let setup = try Setup()
        let file = setup.repo.directory.appendingPathComponent("lm-eval.json")
        try Data(Self.lmEval.utf8).write(to: file)
        let adapter = "adapter/triage-lora@1.1.0"
        let added = try setup.run(["evidence", "add", adapter, "--metric", "hellaswag/acc_norm", "--from-lm-eval", file.path], as: nil, email: "ci@example.com")
        #expect(added.status == 0, "\(added.output)")
        let unknown = try setup.run(["evidence", "add", adapter, "--metric", "mmlu/acc", "--from-lm-eval", file.path], as: nil, email: "ci@example.com")
        #expect(unknown.status == 2 && unknown.output.contains("arc_easy, hellaswag"), "\(unknown.output)")
        // A statement filed for this version but bound to another digest.
        let tag = try setup.repo.git(["tag", "-l", "cairn-eval/*"]).split(separator: "\n").first.map(String.init) ?? ""
        let message = try setup.repo.git(["tag", "-l", "--format=%(contents)", tag])
        let digest = try #require(message.range(of: #""sha256":"[0-9a-f]{64}"\}\,"name":"adapter"#, options: .regularExpression))
        let forged = message.replacingCharacters(in: digest, with: "\"sha256\":\"" + String(repeating: "0", count: 64) + "\"},\"name\":\"adapter")
        try setup.repo.git(["tag", "-a", "cairn-eval/adapter/triage-lora/v1.1.0/0123456789abcdef", "-m", forged])
        let list = try setup.run(["evidence", "list", adapter, "--format", "json"], as: nil, email: "ci@example.com")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [[String: Any]])
        #expect(items.count == 2)
        #expect(items.filter { $0["boundToDigest"] as? Bool == true }.count == 1)
        let predicate = (items.first?["statement"] as? [String: Any])?["predicate"] as? [String: Any]
        #expect(predicate?["value"] as? Double == 0.7521 && predicate?["tool"] as? String == "lm-evaluation-harness")
    }

    @Test("signed evidence pushed to a bare remote verifies in a fresh clone")
    func travels() async throws {
        let setup = try Setup()
        #expect(try setup.run(["approve", "prompt/support-triage@1.3.0", "--sign"], as: setup.jane, email: "jane@example.com").status == 0)
        let remote = try TestRepository(bare: true)
        try setup.repo.git(["push", "-q", remote.path, "HEAD:refs/heads/main", "--tags"])
        let clone = try TestRepository()
        try clone.git(["pull", "-q", remote.path, "main"])
        try clone.git(["fetch", "-q", remote.path, "refs/tags/*:refs/tags/*"])
        let list = try cli.run(["evidence", "list", "prompt/support-triage@1.3.0", "--path", "registry"], in: clone.directory)
        #expect(list.status == 0 && list.output.contains("signed by jane@example.com"), "\(list.output)")
    }
}
