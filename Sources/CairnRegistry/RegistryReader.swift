import CairnManifest
import CairnModel
import Foundation
import Git2

/// Reads and validates a registry: lists its files (skipping unchanged subtrees by tree id), analyses the files
/// not seen before (in parallel), then runs the cross-file rules over every artifact.
public struct RegistryReader: Sendable {
    public let location: RegistryLocation
    public let analyzer: FileAnalyzer
    let cache: ValidationCache
    let tagCache: TagCache
    private let singleLookups = Counter()
    static let directLookups = 16

    /// A reader that keeps what it computes in the repository's git directory (`.git/cairn`), for the next run.
    public init(location: RegistryLocation, analyzer: FileAnalyzer = FileAnalyzer()) {
        self.init(location: location, analyzer: analyzer, cache: nil)
    }

    /// With no caches given, both live in the repository's git directory; an in-memory validation cache comes with
    /// an in-memory tag cache unless one is given.
    init(location: RegistryLocation, analyzer: FileAnalyzer = FileAnalyzer(), cache: ValidationCache?, tagCache: TagCache? = nil) {
        self.location = location
        self.analyzer = analyzer
        let gitDirectory = location.repository.gitDirectory
        self.cache = cache ?? ValidationCache(gitDirectory: gitDirectory, fingerprint: analyzer.schemas.fingerprint)
        self.tagCache = tagCache ?? TagCache(gitDirectory: self.cache.log.url == nil ? nil : gitDirectory)
    }

    public static let configFileName = "cairn.yaml"

    /// Reads the registry from `source` and checks it against registered versions from the repository's tags, or
    /// from `events` when given (a server hook checks a branch against the tags as they will be after the push).
    public func read(_ source: RegistrySource, events: [TagEvent]? = nil) throws -> RegistrySnapshot {
        var clock = PhaseClock()
        let repository = location.repository
        // The registered versions depend on the tags alone: read on another thread while the tree is listed.
        let reader = self
        let tagsRead = events == nil ? Background { try reader.registeredVersions() } : nil
        var listing: TreeListing
        var blobs: [String: [UInt8]] = [:]
        var commit: ObjectID?
        switch source {
        case .commit(let id):
            commit = id
            guard let tree = try repository.treeID(commit: id, path: location.root) else {
                throw CairnError.notAFolder(path: location.root, commit: id.short)
            }
            listing = try list(tree: tree)
        case .worktree:
            (listing, blobs) = try listWorktree()
        }
        clock.mark("list")

        var diagnostics = listing.hazards.map {
            Diagnostic(path: location.repositoryPath($0.path), line: 1, column: 1, message: $0.message, rule: "tree-hazard")
        }
        var configFile: TreeListing.File?
        var artifactFiles: [TreeListing.File] = []
        for file in listing.files {
            if file.path == Self.configFileName { configFile = file } else { artifactFiles.append(file) }
        }

        let (results, parsed) = try fileResults(artifactFiles, contents: blobs, clock: &clock)

        var artifacts: [RegistrySnapshot.Artifact] = []
        artifacts.reserveCapacity(artifactFiles.count)
        for (file, result) in zip(artifactFiles, results) {
            let path = location.repositoryPath(file.path)
            diagnostics += result.findings.map {
                Diagnostic(path: path, line: $0.line, column: $0.column, message: $0.message, rule: $0.rule)
            }
            if let summary = result.artifact {
                artifacts.append(RegistrySnapshot.Artifact(path: path, blob: file.blob, summary: summary))
            }
        }

        clock.mark("artifacts")
        let configPath = location.repositoryPath(Self.configFileName)
        var config: RegistryConfig?
        if let configFile {
            let bytes = try blobs[configFile.path] ?? repository.blob(configFile.blob)
            let outcome = ConfigReader.read(bytes, schemas: analyzer.schemas)
            config = outcome.config
            diagnostics += outcome.findings.map {
                Diagnostic(path: configPath, line: $0.line, column: $0.column, message: $0.message, rule: $0.rule)
            }
        } else {
            diagnostics.append(Diagnostic(path: configPath, line: 1, column: 1,
                message: "no \(Self.configFileName) at the registry root; run 'cairn init' or pass --path to the registry folder", rule: "config"))
        }

        diagnostics += signersDiagnostics(config, source: source)
        clock.mark("config")
        let registered = try events.map { Set(Registrations($0).live.keys) } ?? tagsRead!.value()
        clock.mark("tags (waited for)")
        diagnostics += SemanticRules(artifacts: artifacts, config: config, registered: registered).check()
        clock.mark("cross-file rules")
        cache.log.save()
        clock.mark("cache save")
        // Listed folder by folder, so nearly in order: checked first, and sorted by index when not (moving the
        // artifacts themselves costs more than comparing their paths).
        if !zip(artifacts, artifacts.dropFirst()).allSatisfy({ $0.path < $1.path }) {
            artifacts = artifacts.indices.sorted { artifacts[$0].path < artifacts[$1].path }.map { artifacts[$0] }
        }
        return RegistrySnapshot(commit: commit, config: config, artifacts: artifacts,
                                diagnostics: diagnostics.sorted(), filesParsed: parsed,
                                filesFromCache: artifactFiles.count - parsed, phases: clock.phases)
    }

    /// `cairn.yaml` at `commit`, read on its own (no artifact is parsed); nil with findings when it is missing or invalid.
    /// Whether the tree at `commit` has a `cairn.yaml` at the registry root (a GTO repository has none).
    public func hasConfig(at commit: ObjectID) throws -> Bool {
        try location.repository.blobID(commit: commit, path: location.repositoryPath(Self.configFileName)) != nil
    }

    public func config(at commit: ObjectID) throws -> (config: RegistryConfig?, findings: [ParsedManifest.Finding]) {
        guard let blob = try location.repository.blobID(commit: commit, path: location.repositoryPath(Self.configFileName)) else {
            return (nil, [ParsedManifest.Finding(line: 1, column: 1, message: "no \(Self.configFileName) at the registry root", rule: "config")])
        }
        if let refusal = try oversized(blob) { return (nil, [refusal]) }
        return ConfigReader.read(try location.repository.blob(blob), schemas: analyzer.schemas)
    }

    /// The artifacts in the tree at `commit`, from per-file results only (no configuration, no cross-file rules):
    /// how versions are read at the commits their registration tags point to.
    public func artifacts(at commit: ObjectID) throws -> [RegistrySnapshot.Artifact] {
        guard let tree = try location.repository.treeID(commit: commit, path: location.root) else { return [] }
        let files = try list(tree: tree).files.filter { $0.path != Self.configFileName }
        var clock = PhaseClock()
        let (results, _) = try fileResults(files, contents: [:], clock: &clock)
        return zip(files, results).compactMap { file, result in
            result.artifact.map { RegistrySnapshot.Artifact(path: location.repositoryPath(file.path), blob: file.blob, summary: $0) }
        }
    }

    /// One blob's result: from the cache, else analysed now (and cached). While this process has not read the
    /// cache's file, the first `directLookups` single lookups analyse the blob and leave the cache alone: a plan that
    /// looks up a handful of new versions would spend more loading the file (10,000 results) than parsing them.
    public func fileResult(blob: ObjectID) throws -> FileResult {
        let useCache = cache.log.wasRead || singleLookups.add() > Self.directLookups
        if useCache, let cached = cache.files[blob] { return cached }
        switch try readOrRefuse(blob, caching: useCache) {
        case .result(let result): return result
        case .bytes(let bytes):
            let result = analyzer.analyze(bytes)
            if useCache { cache.files[blob] = result }
            return result
        }
    }

    private enum ResultOrBytes {
        case result(FileResult)
        case bytes([UInt8])
    }

    /// A blob's bytes to analyse; an oversized blob gets its refusal (cached) from the object header without being read.
    private func readOrRefuse(_ blob: ObjectID, caching: Bool = true) throws -> ResultOrBytes {
        if let refusal = try oversized(blob) {
            let result = FileResult(findings: [refusal], artifact: nil)
            if caching { cache.files[blob] = result }
            return .result(result)
        }
        return .bytes(try location.repository.blob(blob))
    }

    /// Why a YAML blob is not read, when it is larger than the loader takes: known from its object header, so a
    /// huge file is refused without being read into memory.
    func oversized(_ blob: ObjectID) throws -> ParsedManifest.Finding? {
        let size = try location.repository.blobSize(blob)
        guard size > HardenedYAMLLoader.maxBytesDefault else { return nil }
        return ParsedManifest.Finding(line: 1, column: 1,
            message: "file is \(size) bytes; the limit is \(HardenedYAMLLoader.maxBytesDefault) bytes (1 MiB), not parsed", rule: "yaml-size")
    }

    /// Per-file results: from the cache by blob id, else analysed (in parallel); oversized blobs are refused
    /// from their object header without being read. Returns the results and how many files were analysed.
    private func fileResults(_ files: [TreeListing.File], contents: [String: [UInt8]], clock: inout PhaseClock) throws -> ([FileResult], Int) {
        var results = cachedResults(files)
        var missing: [(index: Int, bytes: [UInt8])] = []
        for (index, file) in files.enumerated() where results[index] == nil {
            if let bytes = contents[file.path] {
                missing.append((index, bytes))
            } else {
                switch try readOrRefuse(file.blob) {
                case .result(let result): results[index] = result
                case .bytes(let bytes): missing.append((index, bytes))
                }
            }
        }
        clock.mark("cache lookups and blob reads")
        let analyzed = analyzeAll(missing.map(\.bytes))
        clock.mark("analyse \(missing.count) files")
        for (slot, result) in zip(missing, analyzed) {
            results[slot.index] = result
            cache.files[files[slot.index].blob] = result
        }
        return (results.map { $0! }, missing.count)
    }

    /// Each file's result as the cache has it, nil where it has none.
    private func cachedResults(_ files: [TreeListing.File]) -> [FileResult?] { cache.files.values(files.map(\.blob)) }

    /// Versions registered by annotated `KIND/NAME@vX.Y.Z` tags and not deregistered, as `Registrations` counts them,
    /// from the tag names: a tag object is read only when the cache does not know it is annotated. Kept by the
    /// identity of the snapshot of tag references they were computed from: while no tag moves, they are read back.
    public func registeredVersions() throws -> Set<ArtifactVersion> {
        let repository = location.repository
        let reading = tagCache.read(commonDirectory: repository.commonDirectory)
        defer { tagCache.save() }
        if let identity = reading.identity, let known = tagCache.registered[identity] { return Set(known) }
        var registered = Set<ArtifactVersion>(), deregistered = Set<ArtifactVersion>()
        var unknown: [(name: String, object: ObjectID)] = []
        for reference in try tagReferences(reading) where reference.name.utf8.contains(UInt8(ascii: "@")) {
            let version: ArtifactVersion, registers: Bool
            switch TagName(reference.name) {
            case .register(let id, let number)?: (version, registers) = (ArtifactVersion(id: id, version: number), true)
            case .deregister(let id, let number)?: (version, registers) = (ArtifactVersion(id: id, version: number), false)
            default: continue
            }
            guard tagCache.isAnnotated(reference.object) else {
                unknown.append(reference)
                continue
            }
            if registers { registered.insert(version) } else { deregistered.insert(version) }
        }
        let read = Registrations(try TagEvent.read(unknown) { try tagCache.annotation($0, in: repository) })
        let versions = registered.union(read.all.keys).subtracting(deregistered).subtracting(read.deregistered)
        if let identity = reading.identity { tagCache.registered[identity] = versions.sorted() }
        return versions
    }

    /// The repository's cairn/GTO tag events: references listed through the tag cache's snapshot (libgit2 when it
    /// cannot say), tag objects seen by earlier runs from the cache.
    public func tagEvents(_ references: [(name: String, object: ObjectID)]? = nil) throws -> [TagEvent] {
        let events = try TagEvent.read(try references ?? tagReferences()) { try tagCache.annotation($0, in: location.repository) }
        tagCache.save()
        return events
    }

    /// Every tag reference, listed through the tag cache's snapshot (`reading`, or one taken now), or by libgit2 when
    /// the snapshot cannot say.
    func tagReferences(_ reading: TagCache.Reading? = nil) throws -> [(name: String, object: ObjectID)] {
        let repository = location.repository
        return try (reading ?? tagCache.read(commonDirectory: repository.commonDirectory)).references(commonDirectory: repository.commonDirectory)
            ?? repository.tagReferences()
    }

    private func analyzeAll(_ inputs: [[UInt8]]) -> [FileResult] {
        guard inputs.count > 8 else { return inputs.map(analyzer.analyze) }
        let analyzer = self.analyzer
        var results = [FileResult?](repeating: nil, count: inputs.count)
        let chunks = max(1, min(inputs.count / 16, ProcessInfo.processInfo.activeProcessorCount * 4))
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                var index = chunk
                while index < inputs.count {
                    output[index] = analyzer.analyze(inputs[index])
                    index += chunks
                }
            }
        }
        return results.map { $0! }
    }

    // MARK: - Listing

    /// The flattened listing of a tree. Each tree's own entries come from the cache when its id was seen
    /// before, so an unchanged subtree is never read from git or checked again.
    func list(tree: ObjectID) throws -> TreeListing {
        var listing = TreeListing()
        try collect(tree: tree, prefix: "", into: &listing)
        return listing
    }

    private func collect(tree: ObjectID, prefix: String, into listing: inout TreeListing) throws {
        let direct = try directListing(tree)
        for file in direct.files { listing.files.append(TreeListing.File(path: prefix + file.path, blob: file.blob)) }
        for hazard in direct.hazards { listing.hazards.append(TreeListing.Hazard(path: prefix + hazard.path, message: hazard.message)) }
        for subtree in direct.subtrees { try collect(tree: subtree.id, prefix: prefix + subtree.name + "/", into: &listing) }
    }

    private func directListing(_ tree: ObjectID) throws -> TreeListing {
        if let cached = cache.trees[tree] { return cached }
        var listing = TreeListing()
        for entry in try location.repository.entries(ofTree: tree) {
            if let hazard = TreeListing.hazard(name: entry.name, kind: entry.kind) {
                listing.hazards.append(TreeListing.Hazard(path: entry.name, message: hazard))
                continue
            }
            switch entry.kind {
            case .tree where !entry.name.hasPrefix("."):
                listing.subtrees.append(TreeListing.Subtree(name: entry.name, id: entry.id))
            case .blob, .executable:
                if TreeListing.isRegistryFile(entry.name) { listing.files.append(TreeListing.File(path: entry.name, blob: entry.id)) }
            default:
                break
            }
        }
        cache.trees[tree] = listing
        return listing
    }

    private static func prefix(of url: URL, count: Int) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        return [UInt8](try handle.read(upToCount: count) ?? Data())
    }

    /// Lists the working tree (for `validate --worktree`); file contents come back too, hashed as git would.
    func listWorktree() throws -> (TreeListing, [String: [UInt8]]) {
        guard let workdir = location.repository.workingDirectory else {
            throw CairnError.bareRepository(option: "--worktree")
        }
        let base = URL(fileURLWithPath: workdir).appendingPathComponent(location.root)
        var listing = TreeListing()
        var contents: [String: [UInt8]] = [:]
        let manager = FileManager.default
        func walk(_ relative: String) throws {
            let directory = relative.isEmpty ? base : base.appendingPathComponent(relative)
            for name in try manager.contentsOfDirectory(atPath: directory.path).sorted() {
                let path = relative.isEmpty ? name : relative + "/" + name
                if name == ".git" && location.root.isEmpty && relative.isEmpty { continue }
                let attributes = try manager.attributesOfItem(atPath: directory.appendingPathComponent(name).path)
                let type = attributes[.type] as? FileAttributeType
                let kind: TreeEntry.Kind = type == .typeSymbolicLink ? .symlink : type == .typeDirectory ? .tree : .blob
                if let hazard = TreeListing.hazard(name: name, kind: kind) {
                    listing.hazards.append(TreeListing.Hazard(path: path, message: hazard))
                } else if kind == .tree {
                    if !name.hasPrefix(".") { try walk(path) }
                } else if TreeListing.isRegistryFile(name) {
                    let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
                    // An oversized file is not read: its first bytes only, which the loader refuses by size.
                    let bytes = size > HardenedYAMLLoader.maxBytesDefault
                        ? try Self.prefix(of: directory.appendingPathComponent(name), count: HardenedYAMLLoader.maxBytesDefault + 1)
                        : [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
                    let blob = try Repository.blobID(of: bytes)
                    contents[path] = bytes
                    listing.files.append(TreeListing.File(path: path, blob: blob))
                }
            }
        }
        guard manager.fileExists(atPath: base.path) else {
            throw CairnError.noSuchPath(base.path)
        }
        try walk("")
        return (listing, contents)
    }
}

/// Work started on another thread at once, its result waited for when needed.
final class Background<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    // Written once before `done` is signalled, read only after waiting for it.
    private var result: Result<Value, any Error>?

    init(_ work: @escaping @Sendable () throws -> Value) {
        DispatchQueue.global().async {
            self.result = Result(catching: work)
            self.done.signal()
        }
    }

    func value() throws -> Value {
        done.wait()
        defer { done.signal() }
        return try result!.get()
    }
}
