@testable import CairnRegistry
import CairnTestSupport
import Testing

@Suite("Tree hazards inside the registry root")
struct TreeHazardTests {
    func hazards(_ entry: (TestRepository, String) throws -> String) throws -> [String] {
        let repo = try TestRepository()
        let config = try repo.blob("apiVersion: cairn/v1\nkind: Registry\nenvironments: [{name: dev}]\n")
        let commit = try repo.commitRawTree(["100644 blob \(config)\tcairn.yaml", try entry(repo, config)])
        let location = try RegistryLocation.open(directory: repo.path, path: nil)
        let snapshot = try RegistryReader(location: location, cache: ValidationCache(fingerprint: "t")).read(.commit(try location.commit(commit)))
        return snapshot.diagnostics.filter { $0.rule == "tree-hazard" }.map { "\($0.path): \($0.message)" }
    }

    @Test("an entry named ..") func dotDot() throws {
        #expect(try hazards { _, blob in "100644 blob \(blob)\t.." }.first?.hasPrefix("..: ") == true)
    }

    @Test(".git in any case") func dotGit() throws {
        #expect(try hazards { _, blob in "100644 blob \(blob)\t.GiT" }.count == 1)
    }

    @Test("names NTFS or HFS+ take for .git, as git's verify_path judges them",
          arguments: [".git ", ".git.", ".git. . ", ".g\u{200C}it", ".\u{FEFF}GIT", ".gi\u{206A}t ", ".git::$INDEX_ALLOCATION", ".GIT:stream",
                      "git~1", "GIT~1 ."])
    func dotGitAliases(name: String) throws {
        #expect(try hazards { _, blob in "100644 blob \(blob)\t\(name)" }.count == 1)
    }

    @Test("names that only begin like .git are fine", arguments: [".github", ".gitignore.yaml", "git~10", "agit"])
    func notAliases(name: String) throws {
        #expect(try hazards { _, blob in "100644 blob \(blob)\t\(name)" }.isEmpty)
    }

    @Test("a symlink") func symlink() throws {
        let found = try hazards { repo, _ in "120000 blob \(try repo.blob("../../etc/passwd"))\tlink.yaml" }
        #expect(found == ["link.yaml: symbolic links are not allowed inside the registry; refused"])
    }

    @Test("a submodule") func submodule() throws {
        let found = try hazards { _, _ in "160000 commit 1234567890123456789012345678901234567890\tvendor" }
        #expect(found == ["vendor: submodules are not allowed inside the registry; refused"])
    }

    @Test("a clean tree has none") func clean() throws {
        #expect(try hazards { _, blob in "100644 blob \(blob)\tREADME.md" }.isEmpty)
    }
}
