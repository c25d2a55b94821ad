import CairnTestSupport
import Foundation
import Testing

/// A repository as GTO leaves it: artifact names with no cairn kind (`churn`, `models/churn`, `nn:model`, written
/// `nn=model` in tags), GTO's `artifacts.yaml`, and no cairn.yaml. `make interop` compares the same against GTO itself.
@Suite("Real GTO repositories: names without a cairn kind")
struct GTORepositoryTests {
    let cli = DayOneCLITests()

    /// Tags written with git as GTO writes them (annotated, tagger times a second apart so that the order is GTO's).
    func gtoRepository() throws -> TestRepository {
        let repo = try TestRepository()
        try repo.write("models/churn.pkl", "weights 1\n")
        try repo.write("artifacts.yaml", """
            churn:
              type: model
              path: models/churn.pkl
              description: predicts churn
            segment:
              type: model
              labels: [tabular]
            """)
        _ = try repo.commitAll("models")
        var second = 1_767_000_000
        for tag in ["churn@v3.0.0", "models/churn@v0.1.0", "nn=model@v1.0.0", "churn#prod#1", "models/churn#dev#1", "nn=model#dev#1",
                    "Churn_Model@v0.0.1"] {
            second += 1
            _ = try repo.git(["-c", "user.name=GTO", "-c", "user.email=gto@example.com", "tag", "-a", tag, "-m", "gto wrote \(tag)"],
                             environment: ["GIT_COMMITTER_DATE": "\(second) +0000"])
        }
        return repo
    }

    func json(_ arguments: [String], in repo: TestRepository) throws -> Any {
        let result = try cli.run(arguments, in: repo.directory)
        #expect(result.status == 0, "\(arguments): \(result.output)")
        return try JSONSerialization.jsonObject(with: Data(result.output.utf8))
    }

    @Test("show and history read GTO's names and artifacts.yaml as gto show --json does")
    func reads() throws {
        let repo = try gtoRepository()
        let shown = try #require(try json(["show", "--format", "json"], in: repo) as? [String: [String: Any]])
        #expect(Set(shown.keys) == ["churn", "models/churn", "nn:model", "Churn_Model", "segment"])
        #expect(shown["churn"]?["version"] as? String == "v3.0.0")
        #expect((shown["churn"]?["stage"] as? [String: Any])?["prod"] as? String == "v3.0.0")
        #expect((shown["nn:model"]?["stage"] as? [String: Any])?["dev"] as? String == "v1.0.0")
        // Annotated in artifacts.yaml, no tag yet: listed, not registered (GTO's "*segment").
        #expect(shown["segment"]?["registered"] as? Bool == false && shown["segment"]?["version"] is NSNull)
        let table = try cli.run(["show"], in: repo.directory).output
        #expect(table.contains("*segment") && table.contains("nn:model"), "\(table)")
        let churn = try cli.run(["show", "churn"], in: repo.directory)
        #expect(churn.status == 0 && churn.output.contains("description: predicts churn") && churn.output.contains("v3.0.0"), "\(churn.output)")
        let history = try #require(try json(["history", "models/churn", "--format", "json"], in: repo) as? [[String: Any]])
        #expect(history.map { $0["ref"] as? String } == ["models/churn@v0.1.0", "models/churn#dev#1"])
        // A stage nothing is assigned to any more is not listed by show (as GTO), but history still knows it.
        _ = try repo.git(["tag", "-a", "churn#prod!#2", "-m", "unassign", "churn#prod#1^{}"])
        let unassigned = try #require(try json(["show", "--format", "json"], in: repo) as? [String: [String: Any]])
        #expect((unassigned["churn"]?["stage"] as? [String: Any])?.keys.contains("prod") == false)
        let prod = try #require(try json(["history", "--env", "prod", "--format", "json"], in: repo) as? [[String: Any]])
        #expect(prod.map { $0["ref"] as? String } == ["churn#prod#1", "churn#prod!#2"])
    }

    @Test("an artifacts.yaml that does not read (too big, not a mapping, a bad name) is warned about at file:line:column and ignored; the tags still read")
    func badAnnotations() throws {
        let cases = [String(repeating: "# padding\n", count: 110_000), "- churn\n", "churn:\n  type: model\n\"bad name!\":\n  type: model\n"]
        for text in cases {
            let repo = try gtoRepository()
            try repo.write("artifacts.yaml", text)
            _ = try repo.commitAll("artifacts.yaml")
            let shown = try cli.run(["show"], in: repo.directory)
            #expect(shown.status == 0 && shown.output.contains("churn") && !shown.output.contains("*segment"), "\(shown.output.prefix(500))")
            #expect(shown.output.contains("warning: artifacts.yaml:") && shown.output.contains("its annotations are ignored"), "\(shown.output.prefix(500))")
        }
    }

    @Test("register, promote, unassign and deprecate write GTO's tags for names without a kind, with no cairn.yaml")
    func writes() throws {
        let repo = try gtoRepository()
        try repo.write("models/churn.pkl", "weights 2\n")
        _ = try repo.commitAll("retrained")
        let steps: [([String], String)] = [
            (["register", "churn@3.1.0"], "tagged churn@v3.1.0"),
            (["promote", "churn@3.1.0", "--to", "prod"], "tagged churn#prod#2"),
            (["promote", "nn:model@1.0.0", "--to", "prod"], "tagged nn=model#prod#2"),
            (["unassign", "models/churn", "--env", "dev"], "tagged models/churn#dev!#2"),
            (["deprecate", "Churn_Model"], "tagged Churn_Model@deprecated#1"),
        ]
        for (arguments, expected) in steps {
            let result = try cli.run(arguments + ["--actor", "ml-team"], in: repo.directory)
            #expect(result.status == 0 && result.output.contains(expected), "\(arguments): \(result.output)")
        }
        let shown = try #require(try json(["show", "--format", "json"], in: repo) as? [String: [String: Any]])
        #expect((shown["churn"]?["stage"] as? [String: Any])?["prod"] as? String == "v3.1.0")
        #expect((shown["nn:model"]?["stage"] as? [String: Any])?["prod"] as? String == "v1.0.0")
        #expect(shown["Churn_Model"] == nil)
        #expect((shown["models/churn"]?["stage"] as? [String: Any])?["dev"] is NSNull)
        // Audited like any other tag (the audit commands need no cairn.yaml either).
        let audit = try cli.run(["audit", "log"], in: repo.directory).output
        #expect(audit.contains("churn@3.1.0") && audit.contains("ml-team"), "\(audit)")
    }

    @Test("holds and deployments are for cairn's artifacts: a tag-only name is refused with what to do instead")
    func refusals() throws {
        let repo = try gtoRepository()
        let rollback = try cli.run(["rollback", "churn", "--env", "prod"], in: repo.directory)
        #expect(rollback.status == 2 && rollback.output.contains("tag-only artifact"), "\(rollback.output)")
        let unregistered = try cli.run(["promote", "churn@9.0.0", "--to", "prod"], in: repo.directory)
        #expect(unregistered.status == 2 && unregistered.output.contains("registered: 3.0.0"), "\(unregistered.output)")
        let badStage = try cli.run(["promote", "churn@3.0.0", "--to", "bad stage!"], in: repo.directory)
        #expect(badStage.status == 2, "\(badStage.output)")
    }

    @Test("in a cairn registry, a GTO artifact's assignment is listed but never planned or deployed")
    func mixed() throws {
        let repo = try CLITests.exampleRepository()
        #expect(try cli.run(["register", "--all", "--path", "registry", "--actor", "ci"], in: repo.directory).status == 0)
        let promoted = try cli.run(["promote", "prompt/support-triage@1.3.0", "--to", "dev", "--path", "registry", "--actor", "ci"], in: repo.directory)
        #expect(promoted.status == 0, "\(promoted.output)")
        _ = try repo.git(["tag", "-a", "churn@v1.0.0", "-m", "gto"])
        _ = try repo.git(["tag", "-a", "churn#dev#1", "-m", "gto"])
        let plan = try cli.run(["plan", "--env", "dev", "--path", "registry"], in: repo.directory)
        #expect(plan.status == 2 && !plan.output.contains("churn") && !plan.output.contains("problem"), "\(plan.output)")
        let apply = try cli.run(["apply", "--env", "dev", "--path", "registry", "--auto-approve", "--actor", "ci"], in: repo.directory)
        #expect(apply.status == 0, "\(apply.output)")
        let status = try cli.run(["status", "--env", "dev", "--path", "registry"], in: repo.directory).output
        #expect(!status.contains("churn"), "\(status)")
        let shown = try #require(try json(["show", "--path", "registry", "--format", "json"], in: repo) as? [String: [String: Any]])
        #expect((shown["churn"]?["stage"] as? [String: Any])?["dev"] as? String == "v1.0.0")
    }
}
