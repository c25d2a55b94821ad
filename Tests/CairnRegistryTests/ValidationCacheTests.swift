import CairnManifest
@testable import CairnRegistry
import CairnTestSupport
import Foundation
import Testing

@Suite("Caching by blob id and tree id")
struct ValidationCacheTests {
    @Test("a second run parses nothing; after a one-file commit only that file is parsed")
    func incremental() throws {
        let fixture = try RegistryFixture()
        let location = try RegistryLocation.open(directory: fixture.repo.path, path: "registry")
        let fingerprint = ManifestSchemas.bundled.fingerprint
        let first = try RegistryReader(location: location, cache: ValidationCache(gitDirectory: location.repository.gitDirectory, fingerprint: fingerprint))
            .read(.commit(try location.commit("HEAD")))
        #expect(first.filesParsed == 13)

        let warm = ValidationCache(gitDirectory: location.repository.gitDirectory, fingerprint: fingerprint)
        let second = try RegistryReader(location: location, cache: warm).read(.commit(try location.commit("HEAD")))
        #expect(second.filesParsed == 0)
        #expect(second.diagnostics == first.diagnostics)
        #expect(warm.trees.hits.value == 6)  // the registry root and its five folders came from the cache

        try fixture.repo.write("registry/prompts/sentiment-classify.yaml",
            try String(contentsOf: fixture.repo.directory.appendingPathComponent("registry/prompts/sentiment-classify.yaml"), encoding: .utf8)
                .replacingOccurrences(of: "version: 0.4.2", with: "version: 0.4.3"))
        try fixture.repo.commitAll()
        let after = ValidationCache(gitDirectory: location.repository.gitDirectory, fingerprint: fingerprint)
        let third = try RegistryReader(location: location, cache: after).read(.commit(try location.commit("HEAD")))
        #expect(third.filesParsed == 1)
        #expect(after.trees.hits.value == 4)  // adapters, chains, datasets, deployments unchanged: not read from git
        #expect(third.diagnostics.map(\.rule) == ["reference"])  // the chain pins 0.4.2, which is no longer here
    }

    @Test("the registered versions are kept by the tags' snapshot: reused while no tag moves, found again when a tag comes or goes")
    func registeredKeptByTags() throws {
        let fixture = try RegistryFixture()
        let location = try RegistryLocation.open(directory: fixture.repo.path, path: "registry")
        let fingerprint = ManifestSchemas.bundled.fingerprint
        func validate() throws -> (rules: [String], hits: Int) {
            let cache = ValidationCache(gitDirectory: location.repository.gitDirectory, fingerprint: fingerprint)
            let tags = TagCache(gitDirectory: location.repository.gitDirectory)
            let snapshot = try RegistryReader(location: location, cache: cache, tagCache: tags).read(.commit(try location.commit("HEAD")))
            return (snapshot.diagnostics.map(\.rule), tags.registered.hits.value)
        }
        let path = "registry/chains/support-router.yaml"
        try fixture.repo.write(path, try String(contentsOf: fixture.repo.directory.appendingPathComponent(path), encoding: .utf8)
            .replacingOccurrences(of: "prompt: prompt/summarize-ticket@2.0.1", with: "prompt: prompt/summarize-ticket@2.0.0"))
        try fixture.repo.commitAll()
        #expect(try validate() == (["reference"], 0))
        #expect(try validate() == (["reference"], 1))  // nothing moved: the versions as kept
        try fixture.repo.tag("prompt/summarize-ticket@v2.0.0", message: "registered earlier")
        #expect(try validate() == ([], 0))  // a new registration: the rules run again
        #expect(try validate() == ([], 1))
        try fixture.repo.tag("prompt/summarize-ticket@v2.0.0!", message: "deregistered")
        #expect(try validate() == (["reference"], 0))
        _ = try fixture.repo.git(["tag", "-d", "prompt/summarize-ticket@v2.0.0!"])
        #expect(try validate() == ([], 0))
        _ = try fixture.repo.git(["pack-refs", "--all"])
        #expect(try validate().rules == [])
        // Folders modified too recently for their stamps to be trusted (here: dated an hour ahead) are read every time;
        // read again unchanged a second later, they leave the tags' identity, and the versions kept by it, as they were.
        let folders = FileManager.default.enumerator(atPath: fixture.repo.directory.appendingPathComponent(".git/refs/tags").path)!
            .compactMap { $0 as? String }.map { fixture.repo.directory.appendingPathComponent(".git/refs/tags/" + $0).path } + [
            fixture.repo.directory.appendingPathComponent(".git/refs/tags").path]
        for folder in folders { try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(3600)], ofItemAtPath: folder) }
        #expect(try validate().rules == [])
        Thread.sleep(forTimeInterval: 1.1)
        #expect(try validate() == ([], 1))
        _ = try fixture.repo.git(["tag", "-d", "prompt/summarize-ticket@v2.0.0"])
        #expect(try validate() == (["reference"], 0))
    }

    @Test("tag objects are read once; a tag moved to a new object is read again")
    func tagObjects() throws {
        let fixture = try RegistryFixture()
        try fixture.repo.tag("prompt/support-triage@v1.3.0", message: "register")
        try fixture.repo.tag("prompt/support-triage#dev#1", message: "first")
        try fixture.repo.tag("not-a-cairn-tag", message: "ignored")
        let location = try RegistryLocation.open(directory: fixture.repo.path, path: "registry")
        let gitDirectory = location.repository.gitDirectory
        let cold = TagCache(gitDirectory: gitDirectory)
        let first = try RegistryReader(location: location, cache: nil, tagCache: cold).tagEvents()
        #expect(first.map(\.name).sorted() == ["prompt/support-triage#dev#1", "prompt/support-triage@v1.3.0"])
        #expect(cold.annotations.hits.value == 0)

        _ = try fixture.repo.git(["tag", "-f", "-a", "prompt/support-triage#dev#1", "-m", "second"])
        let warm = TagCache(gitDirectory: gitDirectory)
        let second = try RegistryReader(location: location, cache: nil, tagCache: warm).tagEvents()
        #expect(warm.annotations.hits.value == 1)  // the registration; the moved assignment is a new object
        #expect(second.first { $0.name == "prompt/support-triage#dev#1" }?.message == "second\n")
        #expect(second.first { $0.name == "prompt/support-triage@v1.3.0" } == first.first { $0.name == "prompt/support-triage@v1.3.0" })
    }

    @Test("a run that reads a few tags keeps every other tag object when it writes the file (a plan, then show)")
    func tagObjectsKept() throws {
        let fixture = try RegistryFixture()
        // Long messages, so that the file is past the size where the compaction rule looks at what a run used.
        let long = String(repeating: "evidence ", count: 1000)
        for counter in 1...40 { try fixture.repo.tag("prompt/support-triage#dev#\(counter)", message: "assign \(counter)\n\n\(long)") }
        let location = try RegistryLocation.open(directory: fixture.repo.path, path: "registry")
        let gitDirectory = location.repository.gitDirectory
        let repository = location.repository
        _ = try RegistryReader(location: location, cache: nil, tagCache: TagCache(gitDirectory: gitDirectory)).tagEvents()
        // A run that reads two tag objects, one of them new, and saves (as an incremental plan does).
        try fixture.repo.tag("prompt/support-triage#dev#41", message: "assign 41")
        let few = try repository.tagReferences().filter { $0.name.hasSuffix("#1") || $0.name.hasSuffix("#41") }
        let partial = TagCache(gitDirectory: gitDirectory)
        _ = try TagEvent.read(few) { try partial.annotation($0, in: repository) }
        partial.save()
        let again = TagCache(gitDirectory: gitDirectory)
        #expect(try RegistryReader(location: location, cache: nil, tagCache: again).tagEvents().count == 41)
        #expect(again.annotations.hits.value == 41)
        #expect(try Data(contentsOf: URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/tags")).count > 256 << 10)
    }

    @Test("the tag cache survives a torn tail: what came before is used, and the file is rewritten whole")
    func tagCacheTornTail() throws {
        let fixture = try RegistryFixture()
        try fixture.repo.tag("prompt/support-triage@v1.3.0", message: "register")
        let location = try RegistryLocation.open(directory: fixture.repo.path, path: "registry")
        let gitDirectory = location.repository.gitDirectory
        _ = try RegistryReader(location: location, cache: nil, tagCache: TagCache(gitDirectory: gitDirectory)).tagEvents()
        let url = URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/tags")
        let whole = try Data(contentsOf: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([UInt8(ascii: "A"), 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]))  // a record that claims 64 bytes
        try handle.close()

        try fixture.repo.tag("prompt/support-triage#dev#1", message: "assign")
        let torn = TagCache(gitDirectory: gitDirectory)
        let events = try RegistryReader(location: location, cache: nil, tagCache: torn).tagEvents()
        #expect(events.count == 2)
        #expect(torn.annotations.hits.value == 1)
        let rewritten = try Data(contentsOf: url)
        #expect(rewritten.count > whole.count && !rewritten.suffix(3).elementsEqual([1, 2, 3]))
        let again = TagCache(gitDirectory: gitDirectory)
        _ = try RegistryReader(location: location, cache: nil, tagCache: again).tagEvents()
        #expect(again.annotations.hits.value == 2)
    }

    @Test("a cache written with other schemas is ignored")
    func staleFingerprint() throws {
        let fixture = try RegistryFixture()
        let location = try RegistryLocation.open(directory: fixture.repo.path, path: "registry")
        _ = try RegistryReader(location: location, cache: ValidationCache(gitDirectory: location.repository.gitDirectory, fingerprint: "a"))
            .read(.commit(try location.commit("HEAD")))
        let other = try RegistryReader(location: location, cache: ValidationCache(gitDirectory: location.repository.gitDirectory, fingerprint: "b"))
            .read(.commit(try location.commit("HEAD")))
        #expect(other.filesParsed == 13)
    }
}

@Suite("Cache file robustness")
struct CacheFileTests {
    @Test("a torn tail (crash mid-append) keeps the records before it")
    func tornTail() throws {
        let fixture = try RegistryFixture()
        let location = try RegistryLocation.open(directory: fixture.repo.path, path: "registry")
        let git = location.repository.gitDirectory
        _ = try RegistryReader(location: location, cache: ValidationCache(gitDirectory: git, fingerprint: "f")).read(.commit(try location.commit("HEAD")))
        let url = URL(fileURLWithPath: git).appendingPathComponent("cairn/validation")
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([UInt8(ascii: "F"), 0xff, 0xff, 0xff]))
        try handle.close()
        let reread = try RegistryReader(location: location, cache: ValidationCache(gitDirectory: git, fingerprint: "f")).read(.commit(try location.commit("HEAD")))
        #expect(reread.filesParsed == 0)
        #expect(reread.diagnostics.isEmpty)
    }
}
