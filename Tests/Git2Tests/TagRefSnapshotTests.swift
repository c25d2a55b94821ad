import CairnTestSupport
import Foundation
@testable import Git2
import Testing

@Suite("Tag reference snapshots")
struct TagRefSnapshotTests {
    let test: TestRepository
    let repository: Repository

    init() throws {
        test = try TestRepository()
        try test.write("a.txt", "a")
        try test.commitAll()
        repository = try Repository.discover(from: test.path)
    }

    /// What the snapshot says the references are (loose over packed), to compare with libgit2's listing.
    /// Folders a later snapshot kept are taken from `earlier`.
    func listed(_ snapshot: TagRefSnapshot, earlier: TagRefSnapshot? = nil) -> [String: ObjectID] {
        let all = snapshot.references(commonDirectory: repository.commonDirectory) { earlier?.read[$0] } ?? []
        return Dictionary(all.map { ($0.name, $0.object) }, uniquingKeysWith: { first, _ in first })
    }

    func libgit2() throws -> [String: ObjectID] {
        Dictionary(try repository.tagReferences().map { ($0.name, $0.object) }, uniquingKeysWith: { first, _ in first })
    }

    @Test("new and moved tags are named; unchanged folders are not read again; packed tags are found by name")
    func changes() throws {
        for name in ["prompt/a@v1.0.0", "prompt/a#dev#1", "prompt/b@v1.0.0", "cairn-hold/dev/prompt/a/v1.0.0/1"] { try test.tag(name) }
        try test.settleTagFolders()
        let first = TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: nil)
        let snapshot = try #require(first.snapshot)
        #expect(first.changed == nil)
        #expect(listed(snapshot) == (try libgit2()))

        let again = TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: snapshot.asPrevious())
        #expect(again.changed == [])
        #expect(again.snapshot?.folders == snapshot.folders)
        #expect(again.snapshot?.read.isEmpty == true)  // no folder was read again

        try test.tag("prompt/a#dev#2")
        try test.git(["tag", "-f", "-a", "prompt/b@v1.0.0", "-m", "moved"])
        let moved = TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: snapshot.asPrevious())
        #expect(moved.changed == ["prompt/a#dev#2", "prompt/b@v1.0.0"])
        #expect(listed(try #require(moved.snapshot), earlier: snapshot) == (try libgit2()))

        // A settled folder whose stamp is unchanged is taken as it was: a reference file rewritten in place (which
        // git never does) goes unseen, which shows the folder was not read.
        try test.settleTagFolders()
        let settled = try #require(TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: nil).snapshot)
        let file = test.directory.appendingPathComponent(".git/refs/tags/prompt/b@v1.0.0")
        let handle = try FileHandle(forWritingTo: file)
        try handle.write(contentsOf: Data((try test.git(["rev-parse", "prompt/a@v1.0.0"]) + "\n").utf8))
        try handle.close()
        #expect(TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: settled.asPrevious()).changed == [])

        try test.git(["pack-refs", "--all"])
        let packed = TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: settled.asPrevious())
        #expect(packed.changed == nil)
        let packedSnapshot = try #require(packed.snapshot)
        #expect(listed(packedSnapshot) == (try libgit2()))
        #expect(Set(TagRefSnapshot.packedReferences(commonDirectory: repository.commonDirectory, containing: ["prompt/a#", "/prompt/a/"]).keys)
                == ["prompt/a#dev#1", "prompt/a#dev#2", "cairn-hold/dev/prompt/a/v1.0.0/1"])

        // New tags are loose beside the packed ones; deleting a tag is a change the files cannot tell.
        try test.tag("prompt/c@v1.0.0")
        #expect(TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: packedSnapshot.asPrevious()).changed == ["prompt/c@v1.0.0"])
        try test.git(["tag", "-d", "prompt/a#dev#2"])
        #expect(TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: packedSnapshot.asPrevious()).changed == nil)
    }

    @Test("a folder read again reads only the files whose stamp changed")
    func unchangedFilesAreNotRead() throws {
        for name in ["prompt/a@v1.0.0", "prompt/b@v1.0.0"] { try test.tag(name) }
        try test.settleTagFolders()
        let snapshot = try #require(TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: nil).snapshot)
        // prompt/b's file rewritten in place with its time put back (which git never does): same stamp, so not read.
        let file = test.directory.appendingPathComponent(".git/refs/tags/prompt/b@v1.0.0")
        let time = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as! Date
        let handle = try FileHandle(forWritingTo: file)
        try handle.write(contentsOf: Data((try test.git(["rev-parse", "prompt/a@v1.0.0"]) + "\n").utf8))
        try handle.close()
        try FileManager.default.setAttributes([.modificationDate: time], ofItemAtPath: file.path)
        try test.tag("prompt/c@v1.0.0")  // the folder changes, so it is read again
        let again = TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: snapshot.asPrevious())
        #expect(again.changed == ["prompt/c@v1.0.0"])
        #expect(again.snapshot?.read["prompt"]?.references["prompt/b@v1.0.0"] == snapshot.read["prompt"]?.references["prompt/b@v1.0.0"])
    }

    @Test("a folder modified just now is read again next time even if its stamp did not change")
    func unsettled() throws {
        try test.tag("prompt/a@v1.0.0")
        let snapshot = try #require(TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: nil).snapshot)
        #expect(snapshot.folders["prompt"]?.settled == false)
        let file = test.directory.appendingPathComponent(".git/refs/tags/prompt/a@v1.0.0")
        let handle = try FileHandle(forWritingTo: file)
        try handle.write(contentsOf: Data((try test.git(["rev-parse", "HEAD"]) + "\n").utf8))
        try handle.close()
        #expect(TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: snapshot.asPrevious()).changed == ["prompt/a@v1.0.0"])
    }

    @Test("a symbolic tag reference makes the snapshot unusable")
    func symbolic() throws {
        try test.tag("prompt/a@v1.0.0")
        try test.git(["symbolic-ref", "refs/tags/prompt/alias", "refs/tags/prompt/a@v1.0.0"])
        #expect(TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: nil).snapshot == nil)
    }
}
