import CairnManifest
import CairnModel
import Foundation
import Git2

/// Results of earlier runs in `.git/cairn/validation`: each file's result by blob id (made with the schemas the
/// file's fingerprint names; other schemas make it empty) and each tree's direct entries by tree id.
final class ValidationCache: Sendable {
    private let files: CacheStore<ObjectID, FileResult>
    private let trees: CacheStore<ObjectID, TreeListing>
    private let rules: CacheStore<RulesKey, [Diagnostic]>
    private let fileCounts = (hits: Counter(), misses: Counter())
    private let treeCounter = Counter()
    private let rulesCounter = Counter()

    /// Whether results are kept in a file (false: in memory for this run).
    var isPersistent: Bool { files.log.url != nil }
    /// Whether this process has read the file (or asked anything of the cache, which reads it).
    var wasRead: Bool { files.log.wasRead }
    var fileHits: Int { fileCounts.hits.value }
    var fileMisses: Int { fileCounts.misses.value }
    var treeHits: Int { treeCounter.value }
    var rulesHits: Int { rulesCounter.value }

    /// An in-memory cache (tests, one-off runs).
    convenience init(fingerprint: String) { self.init(url: nil, fingerprint: fingerprint) }

    /// The cache file of a repository, read on first use.
    convenience init(gitDirectory: String, fingerprint: String) {
        self.init(url: URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/validation"), fingerprint: fingerprint)
    }

    private init(url: URL?, fingerprint: String) {
        let log = CacheLog(url: url, format: "cairn-validation-9", fingerprint: fingerprint)
        (files, trees, rules) = (CacheStore(log: log, namespace: "F"), CacheStore(log: log, namespace: "T"), CacheStore(log: log, namespace: "S"))
    }

    /// What the cross-file rules found for a registry tree (its id and folder in the repository) against the
    /// registered versions of one snapshot of tag references.
    struct RulesKey {
        let tree: ObjectID
        let root: String
        let tags: [UInt8]
    }

    func rules(_ key: RulesKey) -> [Diagnostic]? {
        let found = rules[key]
        if found != nil { rulesCounter.add() }
        return found
    }

    func store(_ diagnostics: [Diagnostic], for key: RulesKey) { rules[key] = diagnostics }

    func file(_ blob: ObjectID) -> FileResult? {
        let result = files[blob]
        (result == nil ? fileCounts.misses : fileCounts.hits).add()
        return result
    }

    /// Each blob's result, nil where there is none.
    func files(_ blobs: [ObjectID]) -> [FileResult?] {
        let results = files.values(blobs)
        let found = results.count { $0 != nil }
        fileCounts.hits.add(found)
        fileCounts.misses.add(results.count - found)
        return results
    }

    func store(_ result: FileResult, for blob: ObjectID) { files[blob] = result }

    func tree(_ id: ObjectID) -> TreeListing? {
        let listing = trees[id]
        if listing != nil { treeCounter.add() }
        return listing
    }

    func store(_ listing: TreeListing, for id: ObjectID) { trees[id] = listing }

    func save() { files.log.save() }

    /// A valid header for this cache's file (the fuzzer puts records after one).
    var freshHeader: [UInt8] { files.log.freshHeader }
}

// MARK: - Codecs

extension ValidationCache.RulesKey: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(tree, tags, root) }

    init(from reader: inout CacheReader) throws {
        let tree: ObjectID = try reader.get(), tags: [UInt8] = try reader.get()
        self.init(tree: tree, root: try reader.get(), tags: tags)
    }
}

extension Diagnostic: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(path, line, column, severity == .error, message, rule) }

    init(from reader: inout CacheReader) throws {
        self.init(path: try reader.get(), line: try reader.get(), column: try reader.get(), severity: try reader.get() ? .error : .warning,
                  message: try reader.get(), rule: try reader.get())
    }
}

extension ParsedManifest.Finding: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(line, column, message, rule) }
    init(from reader: inout CacheReader) throws { self.init(line: try reader.get(), column: try reader.get(), message: try reader.get(), rule: try reader.get()) }
}

extension FileResult: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(findings, artifact) }
    init(from reader: inout CacheReader) throws { self.init(findings: try reader.get(), artifact: try reader.get()) }
}

extension ArtifactSummary: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(id, version, digest, mark, references, environments) }

    init(from reader: inout CacheReader) throws {
        self.init(id: try reader.get(), version: try reader.get(), digest: try reader.get(), mark: try reader.get(), references: try reader.get(),
                  environments: try reader.get())
    }
}

extension ReferenceSite: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(field, text, reference, mark, allowedKinds.map(\.shortName).joined(separator: ",")) }

    init(from reader: inout CacheReader) throws {
        self.init(field: try reader.get(), text: try reader.get(), reference: try reader.get(), mark: try reader.get(),
                  allowedKinds: try reader.string().split(separator: ",").compactMap { ArtifactKind(shortName: String($0)) })
    }
}

extension NamedSite: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(name, mark) }
    init(from reader: inout CacheReader) throws { self.init(name: try reader.get(), mark: try reader.get()) }
}

extension TreeListing: CacheCodable {
    func encode(to out: inout CacheWriter) {
        out.int(files.count)
        for file in files { out.put(file.path, file.blob) }
        out.int(hazards.count)
        for hazard in hazards { out.put(hazard.path, hazard.message) }
        out.int(subtrees.count)
        for subtree in subtrees { out.put(subtree.name, subtree.id) }
    }

    init(from reader: inout CacheReader) throws {
        self.init()
        files = try (0..<reader.count()).map { _ in File(path: try reader.get(), blob: try reader.get()) }
        hazards = try (0..<reader.count()).map { _ in Hazard(path: try reader.get(), message: try reader.get()) }
        subtrees = try (0..<reader.count()).map { _ in Subtree(name: try reader.get(), id: try reader.get()) }
    }
}
