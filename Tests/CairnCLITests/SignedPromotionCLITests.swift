import CairnTestSupport
import Foundation
import Testing

/// `signedPromotions` and `promoters` through the command line, with keys from ssh-keygen and tags from `cairn
/// promote --sign` and plain `git tag -s`: each refusal apply and promote make, and what they accept.
@Suite("Signed promotions")
struct SignedPromotionCLITests {
    let cli = CLITests()

    /// registry-example with `dev` taking signed assignments by promoters at example.com, its allowed signers
    /// listing `jane` (Ed25519) and `ops` (ECDSA, only until 2020); everything registered.
    struct Setup {
        let repo: TestRepository
        let jane: TestKey
        let stranger: TestKey
        let expired: TestKey

        init(promoters: String = "[\"*@example.com\"]") throws {
            jane = try TestKey()
            stranger = try TestKey(type: "ecdsa")
            expired = try TestKey(type: "ecdsa")
            repo = try signedRegistry(devPolicy: ["signedPromotions: true", "promoters: \(promoters)"], allowedSigners: [
                "# who may sign registry tags", jane.allowedSigner("jane@example.com", options: "namespaces=\"git\""),
                expired.allowedSigner("ops@example.com", options: "valid-before=\"20200101Z\""),
            ])
        }

        /// A tag `name` at HEAD written by plain git: signed with `key` as `email`, or annotated only.
        func gitTag(_ name: String, key: TestKey?, email: String = "jane@example.com") throws {
            if let key { try key.configure(repo, email: email) }
            try repo.git(["tag", key == nil ? "-a" : "-s", name, "-m", "assign"],
                         environment: ["GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_NAME": "Someone"])
        }
    }

    func apply(_ setup: Setup) throws -> (status: Int32, output: String) {
        try cli.run(["apply", "--env", "dev", "--auto-approve", "--path", "registry", "--actor", "ci"], in: setup.repo.directory)
    }

    @Test("promote refuses to write an unsigned assignment and audits it; --sign writes one that git and apply verify")
    func promoteSigned() async throws {
        let setup = try Setup()
        let unsigned = try cli.run(["promote", "prompt/support-triage@1.3.0", "--to", "dev", "--path", "registry"], in: setup.repo.directory)
        #expect(unsigned.status == 1)
        #expect(unsigned.output.contains("signedPromotions") && unsigned.output.contains("not signed"), "\(unsigned.output)")
        #expect(try setup.repo.git(["tag", "-l", "prompt/support-triage#dev#*"]).isEmpty)
        let log = try cli.run(["audit", "log", "--path", "registry"], in: setup.repo.directory).output
        #expect(log.contains("refuse"), "\(log)")

        try setup.jane.configure(setup.repo, email: "jane@example.com")
        let signed = try cli.run(["promote", "prompt/support-triage@1.3.0", "--to", "dev", "--sign", "--path", "registry"], in: setup.repo.directory)
        #expect(signed.status == 0, "\(signed.output)")
        // git itself accepts the signature cairn wrote.
        try setup.repo.git(["config", "gpg.ssh.allowedSignersFile", setup.repo.directory.appendingPathComponent("registry/allowed_signers").path])
        try setup.repo.git(["verify-tag", "prompt/support-triage#dev#1"])
        let applied = try apply(setup)
        #expect(applied.status == 0, "\(applied.output)")
        #expect(try cli.run(["status", "--env", "dev", "--path", "registry"], in: setup.repo.directory).output.contains("prompt/support-triage"))
        // history says who signed each tag (the registration by CI was not signed).
        let history = try cli.run(["history", "prompt/support-triage", "--path", "registry"], in: setup.repo.directory).output
        #expect(history.contains("[signed by jane@example.com (ssh-ed25519 SHA256:") && history.contains("[unsigned]"), "\(history)")
        let json = try cli.run(["history", "prompt/support-triage", "--path", "registry", "--format", "json"], in: setup.repo.directory).output
        #expect(json.contains("\"principal\" : \"jane@example.com\"") || json.contains("\"principal\": \"jane@example.com\""), "\(json)")
    }

    @Test("apply refuses a plain-git assignment that is unsigned, by an unknown key, an expired key, another principal, or altered; a good git tag -s applies")
    func applyRefusals() async throws {
        let setup = try Setup()
        let cases: [(String, () throws -> Void, String)] = [
            ("unsigned", { try setup.gitTag("prompt/sentiment-classify#dev#10", key: nil) }, "not signed"),
            ("unknown key", { try setup.gitTag("prompt/sentiment-classify#dev#11", key: setup.stranger) }, "do not list"),
            ("expired key", { try setup.gitTag("prompt/sentiment-classify#dev#12", key: setup.expired, email: "ops@example.com") }, "allowed only until"),
            ("other principal", { try setup.gitTag("prompt/sentiment-classify#dev#13", key: setup.jane, email: "bob@example.com") }, "not for the tagger bob@example.com"),
            ("altered", {
                try setup.gitTag("prompt/sentiment-classify#dev#14", key: setup.jane)
                let object = try setup.repo.git(["cat-file", "tag", "prompt/sentiment-classify#dev#14"]) + "\n"
                let forged = try setup.repo.git(["mktag"], input: object.replacingOccurrences(of: "\n\nassign\n", with: "\n\nassigN\n"))
                try setup.repo.git(["update-ref", "refs/tags/prompt/sentiment-classify#dev#14", forged])
            }, "does not match the tag's bytes"),
        ]
        for (name, makeTag, expected) in cases {
            try makeTag()
            let refused = try apply(setup)
            #expect(refused.status == 1, "\(name): \(refused.output)")
            #expect(refused.output.contains(expected), "\(name): \(refused.output)")
            #expect(!(try cli.run(["status", "--env", "dev", "--path", "registry"], in: setup.repo.directory).output.contains("sentiment-classify")), "\(name)")
            for tag in try setup.repo.git(["tag", "-l", "prompt/sentiment-classify#dev#*"]).split(separator: "\n") {
                try setup.repo.git(["tag", "-d", String(tag)])
            }
        }
        try setup.gitTag("prompt/sentiment-classify#dev#20", key: setup.jane)
        let applied = try apply(setup)
        #expect(applied.status == 0, "\(applied.output)")
        #expect(try cli.run(["audit", "verify", "--path", "registry"], in: setup.repo.directory).status == 0)
        // Withdrawing it takes a signed unassignment too: an unsigned one would prune it.
        try setup.gitTag("prompt/sentiment-classify#dev!#21", key: nil)
        let unsignedWithdrawal = try apply(setup)
        #expect(unsignedWithdrawal.status == 1 && unsignedWithdrawal.output.contains("#dev!#21 is refused: the tag is not signed"), "\(unsignedWithdrawal.output)")
        #expect(try cli.run(["status", "--env", "dev", "--path", "registry"], in: setup.repo.directory).output.contains("sentiment-classify"))
        try setup.repo.git(["tag", "-d", "prompt/sentiment-classify#dev!#21"])
        try setup.gitTag("prompt/sentiment-classify#dev!#22", key: setup.jane)
        let withdrawn = try cli.run(["apply", "--env", "dev", "--auto-approve", "--allow-empty", "--path", "registry", "--actor", "ci"], in: setup.repo.directory)
        #expect(withdrawn.status == 0 && withdrawn.output.contains("prune"), "\(withdrawn.output)")
    }

    @Test("the pre-receive hook refuses an unsigned assignment or unassignment pushed for dev, and takes signed ones")
    func serverHook() async throws {
        let setup = try Setup()
        setenv("CAIRN", CLITests.binary.path, 1)
        let server = try TestRepository(bare: true)
        let hook = server.directory.appendingPathComponent("hooks/pre-receive")
        try? FileManager.default.removeItem(at: hook)
        try FileManager.default.copyItem(at: SourceTree.root.appendingPathComponent("hooks/pre-receive"), to: hook)
        try server.git(["config", "cairn.path", "registry"])
        try setup.repo.git(["push", "-q", server.path, "HEAD:refs/heads/main", "--tags"])
        func push(_ tag: String) -> String? {
            do {
                try setup.repo.git(["push", "-q", server.path, "refs/tags/\(tag)"])
                return nil
            } catch {
                return "\(error)"
            }
        }
        try setup.gitTag("prompt/sentiment-classify#dev#10", key: nil)
        #expect(push("prompt/sentiment-classify#dev#10")?.contains("the tag is not signed") == true)
        try setup.gitTag("prompt/sentiment-classify#dev#11", key: setup.jane)
        #expect(push("prompt/sentiment-classify#dev#11") == nil)
        try setup.gitTag("prompt/sentiment-classify#dev!#12", key: nil)
        #expect(push("prompt/sentiment-classify#dev!#12")?.contains("the tag is not signed") == true)
        try setup.gitTag("prompt/sentiment-classify#dev!#13", key: setup.stranger, email: "jane@example.com")
        #expect(push("prompt/sentiment-classify#dev!#13")?.contains("do not list") == true)
        try setup.gitTag("prompt/sentiment-classify#dev!#14", key: setup.jane)
        #expect(push("prompt/sentiment-classify#dev!#14") == nil)
    }

    @Test("a signer the allowed signers accept but the environment's promoters do not name is refused")
    func promoters() async throws {
        let setup = try Setup(promoters: "[\"release-bot@example.com\"]")
        try setup.gitTag("prompt/sentiment-classify#dev#10", key: setup.jane)
        let refused = try apply(setup)
        #expect(refused.status == 1 && refused.output.contains("promoters"), "\(refused.output)")
    }

    @Test("validate names the line and column of a bad allowed-signers line")
    func validateSigners() async throws {
        let setup = try Setup()
        try setup.repo.write("registry/allowed_signers", "jane@example.com namespaces=\"git\" ssh-ed25519 AAAA%%%\n")
        try setup.repo.commitAll("broken signers")
        let validate = try cli.run(["validate", "--path", "registry"], in: setup.repo.directory)
        #expect(validate.status == 1)
        #expect(validate.output.contains("registry/allowed_signers:1:35"), "\(validate.output)")
    }
}
