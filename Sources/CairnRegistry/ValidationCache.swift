import CairnManifest
import CairnModel
import Foundation
import Git2

/// Results of earlier runs, kept in the repository's git directory (`.git/cairn/validation-cache`):
/// per-file results by blob id and flattened listings by tree id. (Tag objects have their own file: `TagCache`.)
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
    /// Entries added by this run, appended to the file on save (the file is a log of records).
    private var newFiles: [ObjectID] = []
    private var newTrees: [ObjectID] = []
    /// Records in the file as loaded; nil when there was no usable file (it is then written whole).
    private var recordsOnDisk: Int?
    let url: URL?
    let fingerprint: String

    public private(set) var fileHits = 0
    public private(set) var fileMisses = 0
    public private(set) var treeHits = 0

    /// Whether the file has been read; it is read on first use, so commands that never validate do not pay for it.
    private var loaded: Bool

    /// An in-memory cache (tests, one-off runs).
    public init(fingerprint: String) {
        url = nil
        self.fingerprint = fingerprint
        loaded = true
    }

    /// The cache file of a repository; a missing, corrupt or stale file starts empty.
    public init(gitDirectory: String, fingerprint: String) {
        url = URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/validation-cache")
        self.fingerprint = fingerprint
        loaded = false
    }

    /// Runs `body` under the lock, with the file loaded.
    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        if !loaded {
            loaded = true
            if let url, let bytes = CacheFile.read(url) {
                var reader = CacheReader(bytes: bytes)
                if let contents = try? reader.readAll(fingerprint: fingerprint) {
                    files = contents.files
                    trees = contents.trees
                    recordsOnDisk = contents.complete ? contents.records : nil
                }
            }
        }
        return body()
    }

    func file(_ blob: ObjectID) -> FileResult? {
        locked {
            usedFiles.insert(blob)
            if let result = files[blob] {
                fileHits += 1
                return result
            }
            fileMisses += 1
            return nil
        }
    }

    func store(_ result: FileResult, for blob: ObjectID) {
        locked {
            files[blob] = result
            usedFiles.insert(blob)
            newFiles.append(blob)
        }
    }

    func tree(_ id: ObjectID) -> TreeListing? {
        locked {
            guard let listing = trees[id] else { return nil }
            usedTrees.insert(id)
            treeHits += 1
            return listing
        }
    }

    func store(_ listing: TreeListing, for id: ObjectID) {
        locked {
            trees[id] = listing
            usedTrees.insert(id)
            newTrees.append(id)
        }
    }


    /// Saves what this run added: appended to the log when the file is healthy and not too big, otherwise
    /// rewritten whole (atomically) with what this run used plus older entries up to a bound.
    public func save() {
        locked { saveLoaded() }
    }

    private func saveLoaded() {
        let added = newFiles.count + newTrees.count
        guard added > 0, let url else { return }
        let limit = max(4 * (usedFiles.count + usedTrees.count), 20_000)
        var writer = CacheWriter()
        for blob in newFiles { writer.file(blob, files[blob]!) }
        for tree in newTrees { writer.tree(tree, trees[tree]!) }
        if let records = recordsOnDisk, records + added <= limit, CacheFile.append(writer.bytes, to: url) {
            recordsOnDisk = records + added
        } else {
            writer = CacheWriter()
            if files.count + trees.count > limit {
                files = files.filter { usedFiles.contains($0.key) }
                trees = trees.filter { usedTrees.contains($0.key) }
            }
            writer.header(fingerprint: fingerprint)
            for (blob, result) in files { writer.file(blob, result) }
            for (tree, listing) in trees { writer.tree(tree, listing) }
            CacheFile.replace(url, with: writer.bytes)
            recordsOnDisk = files.count + trees.count
        }
        newFiles = []
        newTrees = []
    }
}

// MARK: - Encoding

extension ValidationCache {
    static let magic = "cairn-validation-cache-7"
}

extension CacheWriter {
    mutating func mark(_ mark: SourceMark) {
        int(mark.line)
        int(mark.column)
    }

    mutating func header(fingerprint: String) {
        string(ValidationCache.magic)
        string(fingerprint)
    }

    mutating func file(_ blob: ObjectID, _ result: FileResult) {
        record(UInt8(ascii: "F")) { out in
            out.objectID(blob)
            out.int(result.findings.count)
            for finding in result.findings {
                out.int(finding.line)
                out.int(finding.column)
                out.string(finding.message)
                out.string(finding.rule)
            }
            guard let artifact = result.artifact else {
                out.int(0)
                return
            }
            out.int(1)
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
    }

    mutating func tree(_ id: ObjectID, _ listing: TreeListing) {
        record(UInt8(ascii: "T")) { out in
            out.objectID(id)
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
    }
}

extension CacheReader {
    mutating func readMark() throws -> SourceMark { SourceMark(line: try int(), column: try int()) }

    struct Contents {
        var files: [ObjectID: FileResult] = [:]
        var trees: [ObjectID: TreeListing] = [:]
        var records = 0
        /// False when a torn or corrupt tail ended the read.
        var complete = false
    }

    /// Reads every record; a torn or corrupt tail ends the read (what came before is kept, `complete` is false).
    mutating func readAll(fingerprint: String) throws -> Contents {
        guard try string() == ValidationCache.magic, try string() == fingerprint else { throw Corrupt() }
        var contents = Contents()
        contents.files.reserveCapacity(bytes.count / 400)
        (contents.records, contents.complete) = records { kind, reader in
            switch kind {
            case UInt8(ascii: "F"):
                let (blob, result) = try reader.fileRecord()
                contents.files[blob] = result
            case UInt8(ascii: "T"):
                let (tree, listing) = try reader.treeRecord()
                contents.trees[tree] = listing
            default:
                return false
            }
            return true
        }
        return contents
    }

    private mutating func fileRecord() throws -> (ObjectID, FileResult) {
        let blob = try objectID()
        var findings: [ParsedManifest.Finding] = []
        for _ in 0..<(try count()) {
            findings.append(ParsedManifest.Finding(line: try int(), column: try int(), message: try string(), rule: try string()))
        }
        var artifact: ArtifactSummary?
        if try int() == 1 {
            let id = try artifactID()
            let version = try semver()
            let digest = try string()
            let mark = try readMark()
            var references: [ReferenceSite] = []
            for _ in 0..<(try count()) {
                let (field, text, reference) = try self.reference()
                let site = try readMark()
                let kinds = try string().split(separator: ",").compactMap { ArtifactKind(shortName: String($0)) }
                references.append(ReferenceSite(field: field, text: text, reference: reference, mark: site, allowedKinds: kinds))
            }
            var environments: [NamedSite] = []
            for _ in 0..<(try count()) { environments.append(NamedSite(name: try string(), mark: try readMark())) }
            artifact = ArtifactSummary(id: id, version: version, digest: digest, mark: mark, references: references, environments: environments)
        }
        return (blob, FileResult(findings: findings, artifact: artifact))
    }

    private mutating func treeRecord() throws -> (ObjectID, TreeListing) {
        let tree = try objectID()
        var listing = TreeListing()
        for _ in 0..<(try count()) { listing.files.append(TreeListing.File(path: try string(), blob: try objectID())) }
        for _ in 0..<(try count()) { listing.hazards.append(TreeListing.Hazard(path: try string(), message: try string())) }
        for _ in 0..<(try count()) { listing.subtrees.append(TreeListing.Subtree(name: try string(), id: try objectID())) }
        return (tree, listing)
    }
}
