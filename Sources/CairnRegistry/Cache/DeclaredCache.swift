import CairnModel
import Crypto
import Foundation
import Git2

/// The declared state last resolved for an environment, in `.git/cairn/declared-HASH`, with what it was resolved
/// from: the environment's settings and the schemas (the file's fingerprint; other ones make it empty), each
/// artifact's tag digest, and a snapshot of the tag reference files. Only ever a shortcut: a value that is absent or
/// does not decode is resolved again.
///
/// Stores on one `CacheLog`: artifacts ('a', by id), tag digests ('g'), the artifacts that reference each one ('r'),
/// and, written last, what the state was resolved against ('m'). An update writes artifacts first and that record
/// last: if it is torn, the next run finds the same tags changed.
struct DeclaredCache {
    let log: CacheLog
    fileprivate let entries: CacheStore<ArtifactID, Entry>
    private let digests: CacheStore<ArtifactID, [UInt8]>
    fileprivate let dependents: CacheStore<ArtifactID, Set<ArtifactID>>
    private let meta: CacheStore<String, Meta>

    init(gitDirectory: String, environment: String, isProtected: Bool, schemaFingerprint: String) {
        let name = SHA256.hash(data: Array(environment.utf8)).prefix(8).hexString
        var settings = CacheWriter()
        settings.put(environment, isProtected, schemaFingerprint)
        log = CacheLog(url: URL(fileURLWithPath: gitDirectory).appendingPathComponent("cairn/declared-\(name)"), format: "cairn-declared-12",
                       fingerprint: SHA256.hash(data: settings.bytes).hexString)
        (entries, digests) = (CacheStore(log: log, namespace: "a"), CacheStore(log: log, namespace: "g"))
        (dependents, meta) = (CacheStore(log: log, namespace: "r"), CacheStore(log: log, namespace: "m"))
    }

    /// What a plan found at the end of a run: the store it compared with, the store's serial and deployed mark, and
    /// the artifacts it had actions for or whose declared state was recorded since. While the serial and mark are
    /// unchanged, a later plan needs to look only at these.
    struct PlanBase: Equatable {
        var store: String, serial: Int, mark: [UInt8]?, pending: Set<ArtifactID>
    }

    /// An artifact's declared version and provenance, with its file.
    struct Entry {
        var artifact: DeclaredArtifact, file: DeclaredState.LocatedFile
    }

    /// The record written last: what the state's artifacts were resolved against (its problems, the tag cache's
    /// identity of the snapshot of references) and the plan base.
    struct Meta {
        var problems: [PlanProblem], snapshot: [UInt8]?, base: PlanBase? = nil
    }

    /// The cached state, when one was recorded whole (its record 'm' is written after its artifacts). Its artifacts
    /// stay in the file until asked for.
    func load(environment: String) -> (recorded: RecordedState, meta: Meta)? {
        guard let meta = meta[""] else { return nil }
        log.keep()
        return (RecordedState(environment: environment, problems: meta.problems, cache: self), meta)
    }

    /// Each artifact's tag digest when its state was recorded.
    func tagDigests() -> [ArtifactID: [UInt8]] {
        var all: [ArtifactID: [UInt8]] = [:]
        digests.all { key, value in
            var reader = CacheReader(bytes: Array(key))
            if let id = try? reader.whole(ArtifactID.self), let digest = try? value.whole([UInt8].self) { all[id] = digest }
        }
        return all
    }

    /// Records `state` whole, with its tag digests and reference snapshot.
    func save(_ state: DeclaredState, digests all: [ArtifactID: [UInt8]], snapshot: [UInt8]?) {
        log.removeAll()
        var referencing: [ArtifactID: Set<ArtifactID>] = [:]
        for (id, artifact) in state.artifacts {
            guard let file = state.files[id] else { continue }
            entries[id] = Entry(artifact: artifact, file: file)
            for site in file.references { referencing[site.reference.id, default: []].insert(id) }
        }
        for (id, dependents) in referencing { self.dependents[id] = dependents }
        for (id, digest) in all { digests[id] = digest }
        meta[""] = Meta(problems: state.problems, snapshot: snapshot)
        log.save()
    }

    /// Records what changed since the state was loaded (`meta`): the artifacts in `touched` (or their absence) with
    /// whom they reference, their new tag digests, and the reference snapshot.
    func update(_ state: any DeclaredLookup, touched: Set<ArtifactID>, digests changed: [ArtifactID: [UInt8]?], snapshot: [UInt8]?, meta loaded: Meta) {
        var referencing: [ArtifactID: (added: Set<ArtifactID>, removed: Set<ArtifactID>)] = [:]
        for id in touched.sorted() {
            let before = Set(((try? entries.decoded(id))?.file.references ?? []).map(\.reference.id))
            let file = state.file(id), after = Set((file?.references ?? []).map(\.reference.id))
            for target in after.subtracting(before) { referencing[target, default: ([], [])].added.insert(id) }
            for target in before.subtracting(after) { referencing[target, default: ([], [])].removed.insert(id) }
            entries[id] = state.artifact(id).flatMap { artifact in file.map { Entry(artifact: artifact, file: $0) } }
        }
        for (target, change) in referencing {
            // A record that does not decode is left for the next load to find damaged.
            let known: Set<ArtifactID>?
            do { known = try dependents.decoded(target) } catch { continue }
            let now = (known ?? []).subtracting(change.removed).union(change.added)
            dependents[target] = now.isEmpty ? nil : now
        }
        for (id, digest) in changed { digests[id] = digest }
        var now = loaded
        now.snapshot = snapshot
        now.base?.pending.formUnion(touched)
        if !touched.isEmpty || snapshot != loaded.snapshot { meta[""] = now }
        log.save()
    }

    /// Records a plan base.
    func record(_ base: PlanBase) {
        guard var now = meta[""] else { return }
        now.base = base
        meta[""] = now
        log.save()
    }
}

/// A declared state as the cache recorded it, decoded artifact by artifact when asked for, with a resolution's changes
/// on top: a plan that builds on the last one looks at a handful of 10,000 artifacts. A recorded value that does not
/// decode makes the state damaged (`isIntact`), never absent: the caller resolves again without the cache.
final class RecordedState: DeclaredLookup, @unchecked Sendable {
    let environment: String
    let problems: [PlanProblem]
    private let cache: DeclaredCache
    private let lock = NSLock()
    private var removed = Set<ArtifactID>()
    private var overlay: DeclaredState
    private var whole: DeclaredState?
    private var damaged = false

    init(environment: String, problems: [PlanProblem], cache: DeclaredCache) {
        (self.environment, self.problems, self.cache) = (environment, problems, cache)
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

    /// What the cache recorded for `id` (nil when it recorded nothing), or nil and damaged when that does not decode.
    private func decoded<Value>(_ read: () throws -> Value?) -> Value? {
        do { return try read() } catch { return lock.withLock { damaged = true; return nil } }
    }

    private func recorded(_ id: ArtifactID) -> DeclaredCache.Entry? {
        if let found = lock.withLock({ () -> DeclaredCache.Entry?? in
            if let artifact = overlay.artifacts[id], let file = overlay.files[id] { return DeclaredCache.Entry(artifact: artifact, file: file) }
            return removed.contains(id) ? .some(nil) : nil
        }) { return found }
        return decoded {
            // A value is written under its own id's key.
            guard let entry = try cache.entries.decoded(id) else { return nil }
            guard entry.artifact.version.id == id else { throw CacheReader.Corrupt() }
            return entry
        }
    }

    func artifact(_ id: ArtifactID) -> DeclaredArtifact? { recorded(id)?.artifact }
    func file(_ id: ArtifactID) -> DeclaredState.LocatedFile? { recorded(id)?.file }

    /// The overlay's referencers, and the recorded ones not replaced or removed since.
    func referencers(of ids: Set<ArtifactID>) -> Set<ArtifactID> {
        let (found, skipped) = lock.withLock { (overlay.referencers(of: ids), removed.union(overlay.artifacts.keys)) }
        return ids.reduce(found) { found, id in found.union((decoded { try cache.dependents.decoded(id) } ?? []).subtracting(skipped)) }
    }

    /// Every artifact, decoded (once).
    var state: DeclaredState {
        if let whole = lock.withLock({ whole }) { return whole }
        var state = DeclaredState(environment: environment, artifacts: [:], problems: problems)
        cache.entries.all { _, value in
            guard let entry = decoded({ try value.whole(DeclaredCache.Entry.self) }) else { return }
            state.artifacts[entry.artifact.version.id] = entry.artifact
            state.files[entry.artifact.version.id] = entry.file
        }
        return lock.withLock {
            whole = state.updated(removing: removed, overlay: overlay)
            return whole!
        }
    }
}

// MARK: - Codecs

extension DeclaredCache.PlanBase: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(store, serial, mark, pending) }
    init(from reader: inout CacheReader) throws { self.init(store: try reader.get(), serial: try reader.get(), mark: try reader.get(), pending: try reader.get()) }
}

extension DeclaredCache.Meta: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(problems, snapshot, base) }
    init(from reader: inout CacheReader) throws { self.init(problems: try reader.get(), snapshot: try reader.get(), base: try reader.get()) }
}

extension PlanProblem: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(kind.rawValue, subject, message) }

    init(from reader: inout CacheReader) throws {
        guard let kind = PlanProblem.Kind(rawValue: try reader.get()) else { throw CacheReader.Corrupt() }
        self.init(kind, subject: try reader.get(), message: try reader.get())
    }
}

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
}
