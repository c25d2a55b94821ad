import CairnManifest
import CairnModel
@testable import CairnReconciler
@testable import CairnRegistry
import CairnTestSupport
import Foundation
import Git2
import Testing

@Suite("Incremental resolution of declared state")
struct IncrementalResolutionTests {
    /// registry-example with every version registered, then random tag operations (assign, unassign, hold, release,
    /// register a new version, deregister, pack the references). After each, the state read with the cache (often brought up to date
    /// incrementally) must equal the state resolved from every tag with no cache.
    @Test("after any sequence of tag operations, the incremental state equals the one resolved from every tag",
          arguments: [UInt64(1), 2, 3, 4])
    func matchesFullResolution(seed: UInt64) async throws {
        var random = SeededGenerator(state: seed)
        let repo = try TestRepository()
        try repo.copy(from: SourceTree.registryExample, to: "registry")
        let first = try repo.commitAll("registry")
        let location = try RegistryLocation.open(directory: repo.path, path: "registry")
        let snapshot = try RegistryReader(location: location, cache: ValidationCache(fingerprint: "t")).read(.commit(try location.commit("HEAD")))
        var paths: [ArtifactID: String] = [:]
        // Every registered version and the commit its registration tag points at.
        var versions: [ArtifactID: [(version: SemVer, commit: String, deregistered: Bool)]] = [:]
        for artifact in snapshot.artifacts {
            let id = artifact.summary.id
            paths[id] = artifact.path
            try repo.tag("\(id)@v\(artifact.summary.version)", at: first, message: "register")
            versions[id] = [(artifact.summary.version, first, false)]
        }
        let ids = paths.keys.sorted()
        let environments = ["dev", "production"]
        var counters: [String: Int] = [:]
        func counter(_ key: String) -> Int {
            counters[key, default: 0] += 1
            return counters[key]!
        }

        var incremental = 0
        for step in 0..<50 {
            let id = ids.randomElement(using: &random)!
            let environment = environments.randomElement(using: &random)!
            let known = versions[id]!
            let pick = known.randomElement(using: &random)!
            switch Int.random(in: 0..<21, using: &random) {
            case 0..<10:
                try repo.tag("\(id)#\(environment)#\(counter("\(id)#\(environment)"))", at: pick.commit, message: "assign")
            case 10, 11:
                try repo.tag("\(id)#\(environment)!#\(counter("\(id)#\(environment)"))", at: pick.commit, message: "unassign")
            case 12:
                try repo.tag("cairn-hold/\(environment)/\(id)/v\(pick.version)/\(counter("hold \(id)"))", at: pick.commit, message: "hold")
            case 13, 14:
                try repo.tag("cairn-release/\(environment)/\(id)/v\(pick.version)/\(counter("hold \(id)"))", at: pick.commit, message: "release")
            case 15..<19:
                let latest = known.map(\.version).max()!
                let next = SemVer(major: latest.major, minor: latest.minor, patch: latest.patch + 1)
                let path = paths[id]!
                let text = try String(contentsOf: repo.directory.appendingPathComponent(path), encoding: .utf8)
                try repo.write(path, text.replacingOccurrences(of: "  version: \(latest)\n", with: "  version: \(next)\n"))
                let commit = try repo.commitAll("\(id) \(next)")
                try repo.tag("\(id)@v\(next)", at: commit, message: "register")
                versions[id]!.append((next, commit, false))
            case 20:
                // Packed as `git gc` does: the reference files say nothing, so every reference is listed.
                try repo.git(["pack-refs", "--all"])
            default:
                guard !pick.deregistered else { continue }
                try repo.tag("\(id)@v\(pick.version)!", at: pick.commit, message: "deregister")
                versions[id] = known.map { $0.version == pick.version ? ($0.version, $0.commit, true) : $0 }
            }

            // Half the time the tag folders look written a while ago, so that unchanged folders are not read again.
            if Bool.random(using: &random) { try repo.settleTagFolders() }
            let head = try location.commit("HEAD")
            // Resolving every tag lists them from the reference files when it can: the same list libgit2 gives.
            let repository = location.repository
            let files = try #require(TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: nil).snapshot)
            #expect(Dictionary(try #require(files.references(commonDirectory: repository.commonDirectory) { _ in nil }), uniquingKeysWith: { first, _ in first })
                    == Dictionary(try repository.tagReferences().map { ($0.name, $0.object) }, uniquingKeysWith: { first, _ in first }))
            for environment in environments {
                let reader = RegistryReader(location: location, cache: ValidationCache(fingerprint: "t"))
                let cached = try DeclaredResolution.resolve(environment: environment, reader: reader, isProtected: environment == "production", commit: head)
                if cached.how == .incremental { incremental += 1 }
                let full = try withoutDeclaredCache(repo) {
                    try DeclaredResolution.resolve(environment: environment, reader: reader, isProtected: environment == "production", commit: head)
                }
                #expect(full.how == .full)
                #expect(cached.state.artifacts == full.state.artifacts, "seed \(seed), step \(step), \(environment)")
                #expect(cached.state.problems == full.state.problems, "seed \(seed), step \(step), \(environment)")
            }
        }
        #expect(incremental >= 5, "the incremental path ran \(incremental) times")
    }

    @Test("a dependent's pin on an artifact whose assignment moved is checked again, not kept from the cache")
    func dependentOfAChangedArtifact() async throws {
        let fixture = try ReconcilerFixture()
        try fixture.assign("chain/support-router", "dev", 1)  // pins prompt/summarize-ticket@2.0.1
        try fixture.assign("prompt/summarize-ticket", "dev", 1)
        let reader = RegistryReader(location: try RegistryLocation.open(directory: fixture.repo.path, path: "registry"),
                                    cache: ValidationCache(fingerprint: "t"))
        let before = try DeclaredResolution.resolve(environment: "dev", reader: reader, isProtected: false, commit: fixture.head)
        #expect(before.state.problems.isEmpty && before.state.artifacts[ArtifactID("prompt/summarize-ticket")!]?.tag == "prompt/summarize-ticket#dev#1")

        let path = "registry/prompts/summarize-ticket.yaml"
        let text = try String(contentsOf: fixture.repo.directory.appendingPathComponent(path), encoding: .utf8)
        try fixture.repo.write(path, text.replacingOccurrences(of: "  version: 2.0.1\n", with: "  version: 2.0.2\n"))
        let commit = try fixture.repo.commitAll("summarize-ticket 2.0.2")
        try fixture.repo.tag("prompt/summarize-ticket@v2.0.2", at: commit, message: "register")
        try fixture.repo.tag("prompt/summarize-ticket#dev#2", at: commit, message: "assign")
        let after = try DeclaredResolution.resolve(environment: "dev", reader: reader, isProtected: false, commit: fixture.head)
        #expect(after.state.problems.contains { $0.kind == .conflict && $0.message.contains("needs prompt/summarize-ticket@2.0.1, but prompt/summarize-ticket@2.0.2 is declared") })

    }

    @Test("promoting an artifact that nothing declared pins is brought up to date without resolving every tag")
    func promotionIsIncremental() async throws {
        let fixture = try ReconcilerFixture()
        let read = try fixture.devReader()
        try fixture.assign("prompt/summarize-ticket", "dev", 1)
        #expect(try read().how == .full)
        #expect(try read().how == .cached)
        let path = try fixture.declaredCacheFile()
        let before = try FileManager.default.attributesOfItem(atPath: path)
        try fixture.assign("prompt/sentiment-classify", "dev", 1)
        let promoted = try read()
        #expect(promoted.how == .incremental)
        #expect(promoted.state.artifacts.keys.map(\.description).sorted() == ["prompt/sentiment-classify", "prompt/summarize-ticket"])
        #expect(promoted.state.problems.isEmpty)
        // The change was appended to the cache file, not written whole; the next read takes it as it is.
        let after = try FileManager.default.attributesOfItem(atPath: path)
        #expect(after[.systemFileNumber] as? Int == before[.systemFileNumber] as? Int)
        #expect((after[.size] as? Int ?? 0) > (before[.size] as? Int ?? 0))
        #expect(try read().how == .cached)
    }

    @Test("a cache file with a torn tail is read up to it, written whole again, and then appended to")
    func tornTail() async throws {
        let fixture = try ReconcilerFixture()
        let read = try fixture.devReader()
        try fixture.assign("prompt/summarize-ticket", "dev", 1)
        _ = try read()
        try fixture.assign("prompt/sentiment-classify", "dev", 1)
        _ = try read()  // appended
        let url = URL(fileURLWithPath: try fixture.declaredCacheFile())
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count - 3).write(to: url)
        try fixture.assign("prompt/support-triage", "dev", 1)
        func full() throws -> DeclaredResolution { try withoutDeclaredCache(fixture.repo) { try read() } }
        let recovered = try read(), resolved = try full()
        #expect(recovered.state.artifacts == resolved.state.artifacts)
        #expect(try read().how == .cached)
        try fixture.assign("prompt/refund-policy-answer", "dev", 1)
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int
        let promoted = try read()
        let expected = try full().state.artifacts
        #expect(promoted.how == .incremental)
        #expect(promoted.state.artifacts == expected)
        #expect(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int > size)
        #expect(try read().how == .cached)
    }

    @Test("a state cached with other schemas is neither updated incrementally nor a source of located files")
    func otherSchemas() async throws {
        let fixture = try ReconcilerFixture()
        let location = try RegistryLocation.open(directory: fixture.repo.path, path: "registry")
        try fixture.assign("prompt/summarize-ticket", "dev", 1)
        _ = try DeclaredResolution.resolve(environment: "dev", reader: RegistryReader(location: location, cache: ValidationCache(fingerprint: "t")),
                                   isProtected: false, commit: fixture.head)
        // The same schemas with one more space: another fingerprint.
        let schemas = fixture.repo.directory.appendingPathComponent("other-schemas")
        try FileManager.default.copyItem(at: SourceTree.root.appendingPathComponent("schemas"), to: schemas)
        let common = schemas.appendingPathComponent("common.schema.json")
        try (String(contentsOf: common, encoding: .utf8) + " ").write(to: common, atomically: true, encoding: .utf8)
        let other = RegistryReader(location: location, analyzer: FileAnalyzer(schemas: try ManifestSchemas(directory: schemas)),
                                   cache: ValidationCache(fingerprint: "u"))
        try fixture.assign("prompt/sentiment-classify", "dev", 1)
        let state = try DeclaredResolution.resolve(environment: "dev", reader: other, isProtected: false, commit: fixture.head)
        #expect(state.how == .full)
        #expect(state.state.artifacts.count == 2 && state.state.problems.isEmpty)
    }

    /// Runs `body` with the declared-state cache files moved away, then puts them back.
    func withoutDeclaredCache<T>(_ repo: TestRepository, _ body: () throws -> T) throws -> T {
        let directory = repo.directory.appendingPathComponent(".git/cairn")
        let aside = repo.directory.appendingPathComponent(".git/cairn-aside")
        try? FileManager.default.removeItem(at: aside)
        try FileManager.default.createDirectory(at: aside, withIntermediateDirectories: true)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path))?.filter { $0.hasPrefix("declared-") } ?? []
        for file in files {
            try FileManager.default.moveItem(at: directory.appendingPathComponent(file), to: aside.appendingPathComponent(file))
        }
        defer {
            for file in files {
                try? FileManager.default.removeItem(at: directory.appendingPathComponent(file))
                try? FileManager.default.moveItem(at: aside.appendingPathComponent(file), to: directory.appendingPathComponent(file))
            }
        }
        return try body()
    }
}

@Suite("Tag reference snapshots in the tag cache")
struct TagSnapshotCacheTests {
    @Test("reference folders recorded as they change read back as the folders on disk, with what changed since each")
    func folderChanges() async throws {
        let fixture = try ReconcilerFixture()
        let repository = try Repository.discover(from: fixture.repo.path)
        let common = repository.commonDirectory
        func read() -> TagCache.Reading {
            let cache = TagCache(gitDirectory: repository.gitDirectory)
            defer { cache.save() }
            return cache.read(commonDirectory: common)
        }
        var last = read()
        #expect(last.identity != nil)
        for counter in 1...3 {
            try fixture.assign("prompt/summarize-ticket", "dev", counter)
            // A new process: the file, read again.
            let reading = read()
            #expect(reading.since == last.identity)
            #expect(reading.changed == ["prompt/summarize-ticket#dev#\(counter)"])
            #expect(reading.identity != last.identity)
            last = reading
        }
        // Two reads in one process, a tag written before each: the second still counts from the file's snapshot.
        let process = TagCache(gitDirectory: repository.gitDirectory)
        try fixture.assign("prompt/summarize-ticket", "dev", 4)
        let first = process.read(commonDirectory: common)
        try fixture.assign("prompt/summarize-ticket", "dev", 5)
        let second = process.read(commonDirectory: common)
        #expect(first.since == last.identity && second.since == last.identity)
        #expect(second.changed == ["prompt/summarize-ticket#dev#4", "prompt/summarize-ticket#dev#5"])
        process.save()
        last = second
        let reread = read()
        #expect(reread.changed == [] && reread.since == last.identity)
        let onDisk = try #require(TagRefSnapshot.take(commonDirectory: common, previous: nil).snapshot)
        #expect(reread.contents("prompt") == onDisk.read["prompt"])
        let listed = try #require(reread.references(commonDirectory: common))
        #expect(Dictionary(uniqueKeysWithValues: listed.map { ($0.name, $0.object) }) == Dictionary(uniqueKeysWithValues: try repository.tagReferences().map { ($0.name, $0.object) }))
        // Packed, the folders are gone, and so are their recorded references; the listing is still whole.
        _ = try fixture.repo.git(["pack-refs", "--all"])
        _ = try fixture.repo.git(["tag", "-a", "prompt/summarize-ticket#dev#6", "-m", "after packing"])
        let packed = read()
        #expect(packed.changed == nil)  // packed-refs was rewritten: what changed is not told by the files
        let afterPacking = read()
        #expect(afterPacking.contents("prompt")?.references.keys.sorted() == ["prompt/summarize-ticket#dev#6"])
        #expect(afterPacking.contents("chain") == nil)
        let whole = try #require(afterPacking.references(commonDirectory: common))
        #expect(Set(whole.map(\.name)) == Set(try repository.tagReferences().map(\.name)))
    }
}

extension TagSnapshotCacheTests {
    @Test("a recorded folder whose references fail their checksum makes the snapshot unknown, not the folder empty")
    func damagedFolder() throws {
        let fixture = try ReconcilerFixture()
        let repository = try Repository.discover(from: fixture.repo.path)
        let common = repository.commonDirectory, tags = URL(fileURLWithPath: common).appendingPathComponent("refs/tags")
        // Folders modified long ago: their stamps are trusted, so the next read keeps what was recorded for them.
        let folders = FileManager.default.enumerator(atPath: tags.path)!.compactMap { $0 as? String }
            .filter { (try? tags.appendingPathComponent($0).resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
        for folder in folders + [""] {
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: tags.appendingPathComponent(folder).path)
        }
        let first = TagCache(gitDirectory: repository.gitDirectory)
        _ = first.read(commonDirectory: common)
        first.save()
        // One byte of a chain tag's name, inside the chain folder's recorded references (its key, "chain", still checks).
        let file = URL(fileURLWithPath: repository.gitDirectory).appendingPathComponent("cairn/refs")
        var bytes = Array(try Data(contentsOf: file))
        let name = try #require(try repository.tagReferences().map(\.name).first { $0.hasPrefix("chain/") })
        let at = try #require((0...(bytes.count - name.utf8.count)).first { bytes[$0..<$0 + name.utf8.count].elementsEqual(name.utf8) })
        bytes[at + name.utf8.count - 1] ^= 0x01
        try Data(bytes).write(to: file)
        let reading = TagCache(gitDirectory: repository.gitDirectory).read(commonDirectory: common)
        // A snapshot is given only when every folder's references are known: the one damaged is read again, or none is.
        if let snapshot = reading.snapshot {
            for path in snapshot.folders.keys { #expect(reading.contents(path) != nil, "\(path)") }
        }
        if let listed = reading.references(commonDirectory: common) {
            #expect(Set(listed.map(\.name)) == Set(try repository.tagReferences().map(\.name)))
        }
    }
}

extension ReconcilerFixture {
    /// Reads dev's declared state through one reader (an in-memory validation cache), as a plan would.
    func devReader() throws -> () throws -> DeclaredResolution {
        let reader = RegistryReader(location: try RegistryLocation.open(directory: repo.path, path: "registry"), cache: ValidationCache(fingerprint: "t"))
        return { try DeclaredResolution.resolve(environment: "dev", reader: reader, isProtected: false, commit: head) }
    }

    /// The path of the repository's declared-state cache file (the tests read one environment).
    func declaredCacheFile() throws -> String {
        let folder = repo.path + "/.git/cairn/"
        return folder + (try #require(try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasPrefix("declared-") }))
    }
}
