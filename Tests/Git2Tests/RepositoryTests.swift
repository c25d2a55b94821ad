import CairnTestSupport
import Foundation
import Git2
import Testing

@Suite("libgit2 wrapper")
struct RepositoryTests {
    @Test("discover from a subfolder, resolve refs, read trees and blobs, list changed paths")
    func readObjects() throws {
        let repo = try TestRepository()
        try repo.write("a/b/file.yaml", "x: 1\n")
        let first = try repo.commitAll("one")
        try repo.write("a/b/file.yaml", "x: 2\n")
        try repo.write("a/new.yaml", "y: 1\n")
        let second = try repo.commitAll("two")
        let opened = try Repository.discover(from: repo.path + "/a/b")
        #expect(try opened.resolveCommit("HEAD").hex == second)
        #expect(try opened.resolveCommit("HEAD~1").hex == first)
        let tree = try #require(try opened.treeID(commit: opened.resolveCommit("HEAD"), path: "a/b"))
        let entry = try #require(try opened.entries(ofTree: tree).first)
        #expect(entry.name == "file.yaml" && entry.kind == .blob)
        #expect(try opened.blob(entry.id) == Array("x: 2\n".utf8))
        #expect(try Repository.blobID(of: Array("x: 2\n".utf8)) == entry.id)
        let changes = try opened.changedPaths(from: opened.resolveCommit(first), to: opened.resolveCommit(second))
        #expect(changes.map(\.newPath).sorted() == ["a/b/file.yaml", "a/new.yaml"])
    }

    @Test("annotated tags are written and read back with tagger and message; errors name the function")
    func tags() throws {
        let repo = try TestRepository()
        let head = try repo.commitAll("one")
        try repo.git(["tag", "light"])
        let opened = try Repository.discover(from: repo.path)
        let target = try opened.resolveCommit("HEAD")
        try opened.createTag(name: "prompt/a@v1.0.0", target: target, tagger: Signature(name: "Ann", email: "ann@example.com", time: 1_700_000_000), message: "register\n")
        let tags = try opened.tags()
        let annotated = try #require(tags.first { $0.name == "prompt/a@v1.0.0" })
        #expect(annotated.target.hex == head)
        #expect(annotated.annotation?.tagger?.name == "Ann")
        #expect(annotated.annotation?.message == "register\n")
        #expect(tags.first { $0.name == "light" }?.annotation == nil)
        #expect(throws: GitError.self) {
            try opened.createTag(name: "prompt/a@v1.0.0", target: target, tagger: Signature(name: "A", email: "a@b", time: 0), message: "again")
        }
        do {
            _ = try opened.resolveCommit("does-not-exist")
            Issue.record("resolved a missing ref")
        } catch let error as GitError {
            #expect(error.function == "git_revparse_single")
            #expect(error.isNotFound)
        }
    }

    @Test("a pushed tag arrives; a tag the remote already has with another target is rejected with the remote's reason")
    func push() throws {
        let remote = try TestRepository(bare: true)
        let repo = try TestRepository()
        try repo.write("a.yaml", "x: 1\n")
        _ = try repo.commitAll("one")
        let opened = try Repository.discover(from: repo.path)
        let head = try opened.resolveCommit("HEAD")
        let tagger = Signature(name: "Ann", email: "ann@example.com", time: 1_700_000_000)
        try opened.createTag(name: "prompt/a@v1.0.0", target: head, tagger: tagger, message: "register\n")
        try opened.push(["refs/tags/prompt/a@v1.0.0"], to: remote.path)
        #expect(try remote.git(["tag", "-l"]).contains("prompt/a@v1.0.0"))

        // Someone else's tag of the same name is already on the remote: ours must not replace it.
        try opened.deleteTag(name: "prompt/a@v1.0.0")
        #expect(try opened.tags().isEmpty)
        try opened.createTag(name: "prompt/a@v1.0.0", target: head, tagger: tagger, message: "a different object\n")
        do {
            try opened.push(["refs/tags/prompt/a@v1.0.0"], to: remote.path)
            Issue.record("the remote accepted a tag that replaces its own")
        } catch let rejected as PushRejected {
            #expect(rejected.references.map(\.name) == ["refs/tags/prompt/a@v1.0.0"])
        }
        #expect(try remote.git(["cat-file", "-p", "prompt/a@v1.0.0"]).contains("register"))
        #expect(throws: GitError.self) { try opened.push(["refs/tags/x"], to: "/nonexistent/remote") }
    }
}

@Suite("Packing a mirror's references")
struct PackReferencesTests {
    @Test("packReferences moves every loose reference into packed-refs; each still resolves to the same object")
    func packs() throws {
        let repo = try TestRepository()
        try repo.write("a.txt", "a")
        _ = try repo.commitAll("one")
        _ = try repo.git(["update-ref", "--stdin"], input: (0..<300).map { "create refs/tags/t\($0) HEAD\n" }.joined())
        try repo.tag("annotated", message: "an annotated one")
        let repository = try Repository.discover(from: repo.path)
        let before = try repository.tagReferences().sorted { $0.name < $1.name }
        #expect(before.count == 301)
        try repository.packReferences()
        let loose = try FileManager.default.subpathsOfDirectory(atPath: repo.path + "/.git/refs/tags")
        #expect(loose.isEmpty, "\(loose.prefix(3))")
        let packed = try String(contentsOfFile: repo.path + "/.git/packed-refs", encoding: .utf8)
        #expect(packed.contains("refs/tags/t299") && packed.contains("refs/tags/annotated"))
        let after = try Repository.discover(from: repo.path).tagReferences().sorted { $0.name < $1.name }
        #expect(after.map(\.name) == before.map(\.name) && after.map(\.object) == before.map(\.object))
    }
}
