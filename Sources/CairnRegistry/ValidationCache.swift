import CairnManifest
import CairnModel
import Foundation
import Git2

/// Results of earlier runs, kept in the repository's git directory (`.git/cairn/validation-cache`):
/// per-file results by blob id, and flattened listings by tree id.
///
/// Written by hand in a compact binary form because loading 10,000 entries has to take milliseconds.
/// The file names the schema fingerprint it was made with; any other fingerprint discards it.
public final class ValidationCache: @unchecked Sendable {
    // Mutable state is touched only by the thread running the validation; the lock guards concurrent analyzers.
    private let lock = NSLock()
    private var files: [ObjectID: FileResult] = [:]
    private var trees: [ObjectID: TreeListing] = [:]
    private var usedFiles = Set<ObjectID>()
    private var usedTrees = Set<ObjectID>()
    private var dirty = false
    let url: URL?
    let fingerprint: String

    public private(set) var fileHits = 0
    public private(set) var fileMisses = 0
    public private(set) var treeHits = 0

    /// An in-memory cache (tests, one-off runs).
    public init(fingerprint: String) {
        url = nil
        self.fingerprint = fingerprint
    }

    /// The cache file of a repository; a missing, corrupt or stale file starts empty.
    public init(gitDirectory: String, fingerprint: String) {
        url = URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/validation-cache")
        self.fingerprint = fingerprint
        if let url, let data = try? Data(contentsOf: url) {
            var reader = CacheReader(bytes: [UInt8](data))
            if let loaded = try? reader.readAll(fingerprint: fingerprint) {
                files = loaded.files
                trees = loaded.trees
            }
        }
    }

    func file(_ blob: ObjectID) -> FileResult? {
        lock.lock()
        defer { lock.unlock() }
        usedFiles.insert(blob)
        if let result = files[blob] {
            fileHits += 1
            return result
        }
        fileMisses += 1
        return nil
    }

    func store(_ result: FileResult, for blob: ObjectID) {
        lock.lock()
        defer { lock.unlock() }
        files[blob] = result
        usedFiles.insert(blob)
        dirty = true
    }

    func tree(_ id: ObjectID) -> TreeListing? {
        lock.lock()
        defer { lock.unlock() }
        guard let listing = trees[id] else { return nil }
        usedTrees.insert(id)
        treeHits += 1
        return listing
    }

    func store(_ listing: TreeListing, for id: ObjectID) {
        lock.lock()
        defer { lock.unlock() }
        trees[id] = listing
        usedTrees.insert(id)
        dirty = true
    }

    /// Writes the cache back (atomically), keeping what this run used plus older entries up to a bound.
    public func save() {
        lock.lock()
        defer { lock.unlock() }
        guard dirty, let url else { return }
        let limit = max(4 * usedFiles.count, 20_000)
        if files.count > limit { files = files.filter { usedFiles.contains($0.key) } }
        if trees.count > limit { trees = trees.filter { usedTrees.contains($0.key) } }
        var writer = CacheWriter()
        writer.write(fingerprint: fingerprint, files: files, trees: trees)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data(writer.bytes).write(to: url, options: .atomic)
        dirty = false
    }
}

// MARK: - Encoding

private let cacheMagic = "cairn-validation-cache-1"

private struct CacheWriter {
    var bytes: [UInt8] = []

    mutating func int(_ value: Int) {
        var value = UInt64(bitPattern: Int64(value))
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
    }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        int(utf8.count)
        bytes.append(contentsOf: utf8)
    }

    mutating func mark(_ mark: SourceMark) {
        int(mark.line)
        int(mark.column)
    }

    mutating func write(fingerprint: String, files: [ObjectID: FileResult], trees: [ObjectID: TreeListing]) {
        string(cacheMagic)
        string(fingerprint)
        int(files.count)
        for (blob, result) in files {
            string(blob.hex)
            int(result.findings.count)
            for finding in result.findings {
                int(finding.line)
                int(finding.column)
                string(finding.message)
                string(finding.rule)
            }
            guard let artifact = result.artifact else {
                int(0)
                continue
            }
            int(1)
            string(artifact.id.description)
            string(artifact.version.description)
            string(artifact.digest)
            mark(artifact.mark)
            int(artifact.references.count)
            for site in artifact.references {
                string(site.field)
                string(site.text)
                mark(site.mark)
                string(site.allowedKinds.map(\.shortName).joined(separator: ","))
            }
            int(artifact.environments.count)
            for site in artifact.environments {
                string(site.name)
                mark(site.mark)
            }
        }
        int(trees.count)
        for (tree, listing) in trees {
            string(tree.hex)
            int(listing.files.count)
            for file in listing.files {
                string(file.path)
                string(file.blob.hex)
            }
            int(listing.hazards.count)
            for hazard in listing.hazards {
                string(hazard.path)
                string(hazard.message)
            }
        }
    }
}

private struct CacheReader {
    struct Corrupt: Error {}
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func int() throws -> Int {
        guard offset + 8 <= bytes.count else { throw Corrupt() }
        var value: UInt64 = 0
        for index in (0..<8).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
        offset += 8
        return Int(Int64(bitPattern: value))
    }

    mutating func string() throws -> String {
        let count = try int()
        guard count >= 0, offset + count <= bytes.count else { throw Corrupt() }
        defer { offset += count }
        return String(decoding: bytes[offset..<offset + count], as: UTF8.self)
    }

    mutating func readMark() throws -> SourceMark { SourceMark(line: try int(), column: try int()) }

    mutating func objectID() throws -> ObjectID {
        guard let id = ObjectID(hex: try string()) else { throw Corrupt() }
        return id
    }

    mutating func count() throws -> Int {
        let count = try int()
        guard count >= 0, count < 10_000_000 else { throw Corrupt() }
        return count
    }

    mutating func readAll(fingerprint: String) throws -> (files: [ObjectID: FileResult], trees: [ObjectID: TreeListing]) {
        guard try string() == cacheMagic, try string() == fingerprint else { throw Corrupt() }
        var files: [ObjectID: FileResult] = [:]
        let fileCount = try count()
        files.reserveCapacity(fileCount)
        for _ in 0..<fileCount {
            let blob = try objectID()
            var findings: [ParsedManifest.Finding] = []
            for _ in 0..<(try count()) {
                findings.append(ParsedManifest.Finding(line: try int(), column: try int(), message: try string(), rule: try string()))
            }
            var artifact: ArtifactSummary?
            if try int() == 1 {
                guard let id = ArtifactID(try string()), let version = SemVer(try string()) else { throw Corrupt() }
                let digest = try string()
                let mark = try readMark()
                var references: [ReferenceSite] = []
                for _ in 0..<(try count()) {
                    let field = try string(), text = try string(), site = try readMark()
                    let kinds = try string().split(separator: ",").compactMap { ArtifactKind(shortName: String($0)) }
                    references.append(ReferenceSite(field: field, text: text, mark: site, allowedKinds: kinds))
                }
                var environments: [NamedSite] = []
                for _ in 0..<(try count()) { environments.append(NamedSite(name: try string(), mark: try readMark())) }
                artifact = ArtifactSummary(id: id, version: version, digest: digest, mark: mark, references: references, environments: environments)
            }
            files[blob] = FileResult(findings: findings, artifact: artifact)
        }
        var trees: [ObjectID: TreeListing] = [:]
        for _ in 0..<(try count()) {
            let tree = try objectID()
            var listing = TreeListing()
            for _ in 0..<(try count()) { listing.files.append(TreeListing.File(path: try string(), blob: try objectID())) }
            for _ in 0..<(try count()) { listing.hazards.append(TreeListing.Hazard(path: try string(), message: try string())) }
            trees[tree] = listing
        }
        return (files, trees)
    }
}
