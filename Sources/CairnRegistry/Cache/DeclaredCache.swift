import CairnModel
import Crypto
import Foundation
import Git2

/// The declared state last resolved for an environment, in `.git/cairn/declared-HASH`, with what it was resolved
/// from: the environment's settings and the schemas (the file's fingerprint; other ones make it empty), each
/// artifact's tag digest, and a snapshot of the tag reference files. Only ever a shortcut: a value that is absent or
/// does not decode is resolved again.
///
/// Stores on one `CacheLog`: artifacts ('a', by id), tag digests ('g'), and, written last, what the state was
/// resolved against ('m': its problems, the tag cache's identity of the snapshot of tag references, the plan base and
/// the artifacts recorded since it). An update writes artifacts first and that record last: if it is torn, the next
/// run finds the same tags changed.
struct DeclaredCache {
    let log: CacheLog
    private let entries: CacheStore<ArtifactID, Entry>
    private let digests: CacheStore<ArtifactID, [UInt8]>
    private let meta: CacheStore<String, Meta>

    init(gitDirectory: String, environment: String, isProtected: Bool, schemaFingerprint: String) {
        let name = SHA256.hash(data: Array(environment.utf8)).prefix(8).hexString
        var settings = CacheWriter()
        settings.put(environment, isProtected, schemaFingerprint)
        log = CacheLog(url: URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/declared-\(name)"), format: "cairn-declared-10",
                       fingerprint: SHA256.hash(data: settings.bytes).hexString)
        (entries, digests, meta) = (CacheStore(log: log, namespace: "a"), CacheStore(log: log, namespace: "g"), CacheStore(log: log, namespace: "m"))
    }

    /// What a plan found at the end of a run: the store it compared with, the store's serial and deployed mark, and
    /// the artifacts it had actions for. While the serial and mark are unchanged, a later plan needs to look only at
    /// these artifacts and those whose declared state changed since (`Loaded.changedSinceBase`).
    struct PlanBase: Equatable {
        var store: String
        var serial: Int
        var mark: [UInt8]?
        var pending: Set<ArtifactID>
    }

    /// An artifact's declared version and provenance, with its file.
    struct Entry {
        var artifact: DeclaredArtifact
        var file: DeclaredState.LocatedFile
    }

    /// The record written last: what the state's artifacts were resolved against.
    struct Meta {
        var problems: [PlanProblem]
        /// The tag cache's identity of the snapshot the state was resolved against.
        var snapshot: [UInt8]?
        var base: PlanBase? = nil
        /// Artifacts recorded after the base.
        var changedSinceBase: Set<ArtifactID> = []
    }

    struct Loaded {
        var recorded: RecordedState
        var meta: Meta
    }

    /// The cached state, when one was recorded whole (its record 'm' is written after its artifacts). Its artifacts
    /// stay in the file until asked for.
    func load(environment: String) -> Loaded? {
        guard let meta = meta[""] else { return nil }
        digests.keepAll()
        entries.keepAll()
        return Loaded(recorded: RecordedState(environment: environment, problems: meta.problems, entries: entries), meta: meta)
    }

    /// Each artifact's tag digest when its state was recorded.
    func tagDigests() -> [ArtifactID: [UInt8]] {
        var all: [ArtifactID: [UInt8]] = [:]
        digests.all { key, digest in
            var reader = CacheReader(bytes: Array(key))
            if let id: ArtifactID = try? reader.get(ArtifactID.self), let digest { all[id] = digest }
        }
        return all
    }

    /// Records `state` whole, with its tag digests and reference snapshot.
    func save(_ state: DeclaredState, digests all: [ArtifactID: [UInt8]], snapshot: [UInt8]?) {
        log.removeAll()
        for (id, artifact) in state.artifacts {
            if let file = state.files[id] { entries[id] = Entry(artifact: artifact, file: file) }
        }
        for (id, digest) in all { digests[id] = digest }
        meta[""] = Meta(problems: state.problems, snapshot: snapshot)
        log.save()
    }

    /// Records what changed since the state was loaded: the artifacts in `touched` (or their absence), their new
    /// tag digests, and the reference snapshot.
    func update(_ state: any DeclaredLookup, touched: Set<ArtifactID>, digests changed: [ArtifactID: [UInt8]?], snapshot: [UInt8]?, loaded: Loaded) {
        for id in touched.sorted() {
            if let artifact = state.artifact(id), let file = state.file(id) {
                entries[id] = Entry(artifact: artifact, file: file)
            } else {
                entries[id] = nil
            }
        }
        for (id, digest) in changed { digests[id] = digest }
        var now = loaded.meta
        (now.snapshot, now.changedSinceBase) = (snapshot, now.changedSinceBase.union(touched))
        if !touched.isEmpty || snapshot != loaded.meta.snapshot { meta[""] = now }
        log.save()
    }

    /// Records a plan base (the artifacts recorded since it start again from none).
    func record(_ base: PlanBase) {
        guard var now = meta[""] else { return }
        (now.base, now.changedSinceBase) = (base, [])
        meta[""] = now
        log.save()
    }
}

/// A declared state as the cache recorded it, decoded artifact by artifact when asked for, with a resolution's changes
/// on top: a plan that builds on the last one looks at a handful of 10,000 artifacts. A recorded artifact that does not
/// decode makes the state damaged (`isIntact`), never absent: the caller resolves again without the cache.
final class RecordedState: DeclaredLookup, @unchecked Sendable {
    let environment: String
    let problems: [PlanProblem]
    private let entries: CacheStore<ArtifactID, DeclaredCache.Entry>
    private let lock = NSLock()
    private var removed = Set<ArtifactID>()
    private var overlay: DeclaredState
    private var whole: DeclaredState?
    private var damaged = false

    init(environment: String, problems: [PlanProblem], entries: CacheStore<ArtifactID, DeclaredCache.Entry>) {
        self.environment = environment
        self.problems = problems
        self.entries = entries
        overlay = DeclaredState(environment: environment, artifacts: [:], problems: [])
    }

    var isIntact: Bool { lock.withLock { !damaged } }

    /// Drops `removed` and puts `overlay`'s artifacts on top (an incremental resolution's result).
    func update(removing removed: Set<ArtifactID>, overlay: DeclaredState) {
        lock.withLock {
            self.removed.formUnion(removed)
            self.overlay = self.overlay.updated(removing: removed, overlay: overlay)
            whole = nil
        }
    }

    private func recorded(_ id: ArtifactID) -> DeclaredCache.Entry? {
        lock.withLock {
            if let artifact = overlay.artifacts[id], let file = overlay.files[id] { return DeclaredCache.Entry(artifact: artifact, file: file) }
            if removed.contains(id) { return nil }
            do {
                guard let entry = try entries.decoded(id) else { return nil }
                guard entry.artifact.version.id == id else { throw CacheReader.Corrupt() }
                return entry
            } catch {
                damaged = true
                return nil
            }
        }
    }

    func artifact(_ id: ArtifactID) -> DeclaredArtifact? { recorded(id)?.artifact }
    func file(_ id: ArtifactID) -> DeclaredState.LocatedFile? { recorded(id)?.file }

    /// Searches the recorded artifacts' bytes for the ids' encodings (a false match only makes the caller resolve
    /// more); the overlay's are read exactly.
    func referencers(of ids: Set<ArtifactID>) -> Set<ArtifactID> {
        let needles = ids.map { id in
            var writer = CacheWriter()
            writer.put(id)
            return writer.bytes
        }
        var found = overlay.referencers(of: ids)
        let skipped = lock.withLock { removed.union(overlay.artifacts.keys) }
        entries.raw { key, value in
            var value = value
            // An entry that cannot be read counts as referencing (the caller then resolves more).
            guard (try? DeclaredCache.Entry.references(any: needles, &value)) != false else { return }
            var reader = CacheReader(bytes: Array(key))
            guard let id: ArtifactID = try? reader.get(ArtifactID.self) else { return lock.withLock { damaged = true } }
            if !skipped.contains(id) { found.insert(id) }
        }
        return found
    }

    /// How many artifacts are declared (their ids decoded, not the rest).
    var count: Int {
        var recordedIDs = Set<ArtifactID>()
        entries.raw { key, _ in
            var reader = CacheReader(bytes: Array(key))
            if let id: ArtifactID = try? reader.get(ArtifactID.self) { recordedIDs.insert(id) }
        }
        return lock.withLock { recordedIDs.subtracting(removed).union(overlay.artifacts.keys).count }
    }

    /// Every artifact, decoded (once).
    var state: DeclaredState {
        lock.withLock {
            if let whole { return whole }
            var state = DeclaredState(environment: environment, artifacts: [:], problems: problems)
            // The checksum covers key and value together, and a value is written under its own id's key.
            entries.all { _, entry in
                guard let entry else { return damaged = true }
                state.artifacts[entry.artifact.version.id] = entry.artifact
                state.files[entry.artifact.version.id] = entry.file
            }
            state = state.updated(removing: removed, overlay: overlay)
            whole = state
            return state
        }
    }
}

// MARK: - Codecs

extension DeclaredCache.PlanBase: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(store, serial, mark, pending) }
    init(from reader: inout CacheReader) throws { self.init(store: try reader.get(), serial: try reader.get(), mark: try reader.get(), pending: try reader.get()) }
}

extension DeclaredCache.Meta: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(problems, snapshot, base, changedSinceBase) }

    init(from reader: inout CacheReader) throws {
        self.init(problems: try reader.get(), snapshot: try reader.get(), base: try reader.get(), changedSinceBase: try reader.get())
    }
}

extension PlanProblem: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(kind.rawValue, subject, message) }

    init(from reader: inout CacheReader) throws {
        guard let kind = PlanProblem.Kind(rawValue: try reader.get()) else { throw CacheReader.Corrupt() }
        self.init(kind, subject: try reader.get(), message: try reader.get())
    }
}

/// `references(any:)` skips over this encoding without decoding it.
extension DeclaredCache.Entry: CacheCodable {
    func encode(to out: inout CacheWriter) {
        let artifact = artifact, file = file
        out.put(artifact.version.id, artifact.version.version, artifact.digest, artifact.commit, artifact.tag, file.blob, file.path, file.references.count)
        for site in file.references { out.put(site.field, site.text, site.reference) }
    }

    init(from reader: inout CacheReader) throws {
        let version = ArtifactVersion(id: try reader.get(), version: try reader.get())
        let digest: String = try reader.get()
        artifact = DeclaredArtifact(version: version, digest: digest, content: "", commit: try reader.get(), tag: try reader.get())
        file = DeclaredState.LocatedFile(blob: try reader.get(), path: try reader.get(), digest: digest, references: [])
        for _ in 0..<(try reader.count()) { file.references.append((try reader.get(), try reader.get(), try reader.get())) }
    }

    /// Whether an encoded entry's file references one of the `encoded` ids, read without decoding the rest.
    static func references(any encoded: [[UInt8]], _ reader: inout CacheReader) throws -> Bool {
        _ = try reader.byte()
        try reader.skipString()  // the artifact's own id
        try reader.skipSemver()
        for _ in 0..<3 { try reader.skipString() }  // digest, commit, tag
        try reader.skip(20)  // blob
        try reader.skipString()  // path
        for _ in 0..<(try reader.count()) {
            try reader.skipString()  // field
            try reader.skipString()  // text
            if encoded.contains(where: { reader.starts(with: $0) }) { return true }
            _ = try reader.byte()
            try reader.skipString()
            if try reader.byte() != 3 { try reader.skipSemver() }  // exact, caret, tilde with a version, or any
        }
        return false
    }
}

private extension CacheReader {
    mutating func skipSemver() throws {
        try skip(24)
        try skipString()
        try skipString()
    }
}
