import CairnCache
import CairnManifest
import CairnModel
import Foundation
import Git2

/// Results of earlier runs in `.git/cairn/validation`: each file's result by blob id (made with the schemas the
/// file's fingerprint names; other schemas make it empty) and each tree's direct entries by tree id.
public final class ValidationCache: Sendable {
    private let files: CacheStore<ObjectID, FileResult>
    private let trees: CacheStore<ObjectID, TreeListing>
    private let rules: CacheStore<RulesKey, [Diagnostic]>
    private let fileCounts = (hits: Counter(), misses: Counter())
    private let treeCounter = Counter()
    private let rulesCounter = Counter()

    /// Whether results are kept in a file (false: in memory for this run).
    public var isPersistent: Bool { files.log.url != nil }
    /// Whether this process has read the file (or asked anything of the cache, which reads it).
    var wasRead: Bool { files.log.wasRead }
    public var fileHits: Int { fileCounts.hits.value }
    public var fileMisses: Int { fileCounts.misses.value }
    public var treeHits: Int { treeCounter.value }
    public var rulesHits: Int { rulesCounter.value }

    /// An in-memory cache (tests, one-off runs).
    public convenience init(fingerprint: String) { self.init(url: nil, fingerprint: fingerprint) }

    /// The cache file of a repository, read on first use.
    public convenience init(gitDirectory: String, fingerprint: String) {
        self.init(url: URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/validation"), fingerprint: fingerprint)
    }

    private init(url: URL?, fingerprint: String) {
        let log = CacheLog(url: url, format: "cairn-validation-8", fingerprint: fingerprint)
        let key: @Sendable (ObjectID, inout CacheWriter) -> Void = { id, out in out.objectID(id) }
        files = CacheStore(log: log, namespace: UInt8(ascii: "F"), key: key, encode: FileResult.encode, decode: FileResult.decode)
        trees = CacheStore(log: log, namespace: UInt8(ascii: "T"), key: key, encode: TreeListing.encode, decode: TreeListing.decode)
        rules = CacheStore(log: log, namespace: UInt8(ascii: "S"), key: RulesKey.encode, encode: Self.encode, decode: Self.decode)
    }

    /// What the cross-file rules found for a registry tree (its id and folder in the repository) against the
    /// registered versions of one snapshot of tag references.
    struct RulesKey {
        let tree: ObjectID
        let root: String
        let tags: [UInt8]

        @Sendable static func encode(_ key: Self, _ out: inout CacheWriter) {
            out.objectID(key.tree)
            out.raw(key.tags)
            out.string(key.root)
        }
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

    public func save() { files.log.save() }

    /// A valid header for this cache's file (the fuzzer puts records after one).
    public var freshHeader: [UInt8] { files.log.freshHeader }
}

// MARK: - Codecs

extension CacheWriter {
    mutating func mark(_ mark: SourceMark) {
        int(mark.line)
        int(mark.column)
    }
}

extension CacheReader {
    mutating func mark() throws -> SourceMark { SourceMark(line: try int(), column: try int()) }
}

extension ValidationCache {
    @Sendable static func encode(_ diagnostics: [Diagnostic], _ out: inout CacheWriter) {
        out.int(diagnostics.count)
        for diagnostic in diagnostics {
            out.string(diagnostic.path)
            out.mark(SourceMark(line: diagnostic.line, column: diagnostic.column))
            out.byte(diagnostic.severity == .error ? 0 : 1)
            out.string(diagnostic.message)
            out.string(diagnostic.rule)
        }
    }

    @Sendable static func decode(_ reader: inout CacheReader) throws -> [Diagnostic] {
        try (0..<reader.count()).map { _ in
            let path = try reader.string(), mark = try reader.mark()
            let severity: Diagnostic.Severity
            switch try reader.byte() {
            case 0: severity = .error
            case 1: severity = .warning
            default: throw CacheReader.Corrupt()
            }
            return Diagnostic(path: path, line: mark.line, column: mark.column, severity: severity, message: try reader.string(), rule: try reader.string())
        }
    }
}

extension FileResult {
    @Sendable static func encode(_ result: FileResult, _ out: inout CacheWriter) {
        out.int(result.findings.count)
        for finding in result.findings {
            out.int(finding.line)
            out.int(finding.column)
            out.string(finding.message)
            out.string(finding.rule)
        }
        guard let artifact = result.artifact else { return out.byte(0) }
        out.byte(1)
        out.artifactID(artifact.id)
        out.semver(artifact.version)
        out.string(artifact.digest)
        out.mark(artifact.mark)
        out.int(artifact.references.count)
        for site in artifact.references {
            out.reference(field: site.field, text: site.text, site.reference)
            out.mark(site.mark)
            out.string(site.allowedKinds.map(\.shortName).joined(separator: ","))
        }
        out.int(artifact.environments.count)
        for site in artifact.environments {
            out.string(site.name)
            out.mark(site.mark)
        }
    }

    @Sendable static func decode(_ reader: inout CacheReader) throws -> FileResult {
        let findings = try (0..<reader.count()).map { _ in
            ParsedManifest.Finding(line: try reader.int(), column: try reader.int(), message: try reader.string(), rule: try reader.string())
        }
        switch try reader.byte() {
        case 0: return FileResult(findings: findings, artifact: nil)
        case 1: break
        default: throw CacheReader.Corrupt()
        }
        let id = try reader.artifactID(), version = try reader.semver(), digest = try reader.string(), mark = try reader.mark()
        let references = try (0..<reader.count()).map { _ in
            let (field, text, reference) = try reader.reference()
            let site = try reader.mark()
            let kinds = try reader.string().split(separator: ",").compactMap { ArtifactKind(shortName: String($0)) }
            return ReferenceSite(field: field, text: text, reference: reference, mark: site, allowedKinds: kinds)
        }
        let environments = try (0..<reader.count()).map { _ in NamedSite(name: try reader.string(), mark: try reader.mark()) }
        return FileResult(findings: findings, artifact: ArtifactSummary(id: id, version: version, digest: digest, mark: mark,
                                                                         references: references, environments: environments))
    }
}

extension TreeListing {
    @Sendable static func encode(_ listing: TreeListing, _ out: inout CacheWriter) {
        out.int(listing.files.count)
        for file in listing.files {
            out.string(file.path)
            out.objectID(file.blob)
        }
        out.int(listing.hazards.count)
        for hazard in listing.hazards {
            out.string(hazard.path)
            out.string(hazard.message)
        }
        out.int(listing.subtrees.count)
        for subtree in listing.subtrees {
            out.string(subtree.name)
            out.objectID(subtree.id)
        }
    }

    @Sendable static func decode(_ reader: inout CacheReader) throws -> TreeListing {
        var listing = TreeListing()
        listing.files = try (0..<reader.count()).map { _ in File(path: try reader.string(), blob: try reader.objectID()) }
        listing.hazards = try (0..<reader.count()).map { _ in Hazard(path: try reader.string(), message: try reader.string()) }
        listing.subtrees = try (0..<reader.count()).map { _ in Subtree(name: try reader.string(), id: try reader.objectID()) }
        return listing
    }
}
