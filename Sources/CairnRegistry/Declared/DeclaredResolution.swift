import CairnModel
import Foundation
import Git2

/// An environment's declared state resolved from the repository's tags, memoized in `.git/cairn/declared-HASH`
/// (`DeclaredCache`) with a snapshot of the tag reference files.
///
/// When the snapshot tells which tags appeared or moved, the artifacts they name are resolved again on top of the
/// cached state, if that provably gives what resolving every tag would (`Walker.incremental` says when), without
/// listing every reference. Otherwise every reference is listed, and the artifacts whose tags changed are found by
/// their tag digests; failing that, every tag is resolved, reusing the files the cached state located, so only new
/// versions are looked up in git. `fromScratch` resolves every tag and forgets what was memoized (a plan whose memoized
/// state turned out not to hold asks for that).
public struct DeclaredResolution: Sendable {
    /// How the state was come by: unchanged from the cache, re-resolved for the artifacts whose tags changed, or
    /// resolved from every tag.
    public enum How: Sendable { case cached, incremental, full }

    public var how: How
    /// The state, whole (`resolved`), or as the cache recorded it with this resolution's changes on top.
    private let resolved: DeclaredState?
    private let recorded: RecordedState?
    /// Where the state is memoized, and the plan base recorded there (`sinceLastPlan`).
    let cache: DeclaredCache?
    let base: DeclaredCache.PlanBase?

    /// Every declared artifact (a recorded state is decoded on first use).
    public var state: DeclaredState { resolved ?? recorded!.state }

    /// How many artifacts are declared.
    public var count: Int { state.artifacts.count }

    /// The artifacts a plan against a store (`identity`) at `serial` and `mark` must compare when the last plan or apply
    /// recorded that same state of the store: those it had actions for, and those whose declared state was recorded
    /// since; nil when it recorded another (then every row is compared).
    public func sinceLastPlan(store: String, serial: Int, mark: [UInt8]?) -> Set<ArtifactID>? {
        guard let base, base.store == store, base.serial == serial, base.mark == mark else { return nil }
        return base.pending
    }

    /// The declared artifacts among `ids`, with their files: a state to plan with that holds only them.
    public func subset(_ ids: Set<ArtifactID>) -> DeclaredState {
        guard let recorded else {
            var state = resolved!
            state.artifacts = state.artifacts.filter { ids.contains($0.key) }
            state.files = state.files.filter { ids.contains($0.key) }
            return state
        }
        var state = DeclaredState(environment: recorded.environment, artifacts: [:], problems: recorded.problems)
        for id in ids {
            state.artifacts[id] = recorded.artifact(id)
            state.files[id] = recorded.file(id)
        }
        return state
    }

    /// False when the recorded state turned out damaged while it was read (a resolution without the cache is due).
    public var isIntact: Bool { recorded?.isIntact ?? true }

    /// `commit` is the ref being planned, whose tree is the first place a version's file is looked for (then checked
    /// at the registration commit).
    public static func resolve(environment: String, reader: RegistryReader, isProtected: Bool, commit: ObjectID,
                               fromScratch: Bool = false) throws -> DeclaredResolution {
        let repository = reader.location.repository
        let cache = DeclaredCache(gitDirectory: repository.gitDirectory, environment: environment, isProtected: isProtected,
                                  schemaFingerprint: reader.analyzer.schemas.fingerprint)
        if fromScratch {
            cache.log.removeAll()
            cache.log.save()
        }
        let loaded = cache.load(environment: environment)
        // Without the cache, references are listed by libgit2; with it, through the tag cache's snapshot, whose changes
        // are the changes since this state was resolved when it was resolved against the snapshot they are counted from.
        let reading = fromScratch ? nil : reader.tagCache.read(commonDirectory: repository.commonDirectory)
        defer { if !fromScratch { reader.tagCache.save() } }
        let snapshot = reading?.identity
        let changedNames = loaded?.meta.snapshot != nil && loaded?.meta.snapshot == reading?.since ? reading?.changed : nil
        var walker = DeclaredState.Walker(environment: environment, reader: reader, isProtected: isProtected, commit: commit, known: loaded?.recorded)

        /// The recorded state brought up to date by an incremental resolution.
        func finish(_ how: How, removing changed: Set<ArtifactID>, overlay: DeclaredState, touched: Set<ArtifactID>,
                    digests: [ArtifactID: [UInt8]?], loaded: (recorded: RecordedState, meta: DeclaredCache.Meta)) -> DeclaredResolution {
            loaded.recorded.update(removing: changed, overlay: overlay)
            cache.update(loaded.recorded, touched: touched, digests: digests, snapshot: snapshot, meta: loaded.meta)
            var base = loaded.meta.base
            base?.pending.formUnion(touched)
            return DeclaredResolution(how: how, resolved: nil, recorded: loaded.recorded, cache: cache, base: base)
        }
        if let loaded, let reading, let taken = reading.snapshot, let changedNames {
            let changed = Set(changedNames.compactMap { DeclaredState.TagGroups.artifactText($0).flatMap { ArtifactID(String($0)) } })
            var found: [ArtifactID: [(name: String, object: ObjectID)]] = [:]
            let references = { (ids: Set<ArtifactID>) in
                let new = ids.filter { found[$0] == nil }
                if !new.isEmpty {
                    let references = taken.references(of: new, commonDirectory: repository.commonDirectory, kept: reading.contents)
                    for id in new { found[id] = references[id] ?? [] }
                }
                return found.filter { ids.contains($0.key) && !$0.value.isEmpty }
            }
            if let (overlay, touched) = try walker.incremental(from: loaded.recorded, changed: changed, references: references) {
                let digests = changed.isEmpty ? [:] : references(changed)
                return finish(changed.isEmpty ? .cached : .incremental, removing: changed, overlay: overlay, touched: touched,
                              digests: Dictionary(uniqueKeysWithValues: changed.map { ($0, digests[$0].map(DeclaredState.TagGroups.digest)) }), loaded: loaded)
            }
        }
        // Listed from the snapshot when there is one (it has read every loose reference already), else by libgit2.
        let groups = DeclaredState.TagGroups(try reading?.references(commonDirectory: repository.commonDirectory) ?? repository.tagReferences())
        if let loaded {
            let changed = groups.changed(since: cache.tagDigests())
            if let (overlay, touched) = try walker.incremental(from: loaded.recorded, changed: changed, references: { ids in groups.references.filter { ids.contains($0.key) } }) {
                return finish(changed.isEmpty ? .cached : .incremental, removing: changed, overlay: overlay, touched: touched,
                              digests: Dictionary(uniqueKeysWithValues: changed.map { ($0, groups.digests[$0]) }), loaded: loaded)
            }
        }
        let state = try walker.full(events: try reader.tagEvents(groups.references.values.flatMap { $0 }))
        cache.save(state, digests: groups.digests, snapshot: snapshot)
        return DeclaredResolution(how: .full, resolved: state, recorded: nil, cache: cache, base: nil)
    }

    /// Each reference to `id` from a declared artifact: the dependent, and where and how it pins `id`.
    public func pins(of id: ArtifactID) -> [(dependent: DeclaredArtifact, field: String, text: String, reference: ArtifactReference)] {
        let lookup: any DeclaredLookup = recorded ?? resolved!
        return lookup.referencers(of: [id]).sorted().flatMap { dependent in
            (lookup.file(dependent)?.references ?? []).filter { $0.reference.id == id }.compactMap { site in
                lookup.artifact(dependent).map { (dependent: $0, field: site.field, text: site.text, reference: site.reference) }
            }
        }
    }

    /// Records what a plan found, for the next plan to build on: the store it compared with (`identity`), the store's
    /// serial and deployed mark then, and the artifacts it had actions for.
    public func recordPlan(store: String, serial: Int, mark: [UInt8]?, pending: Set<ArtifactID>) {
        cache?.record(DeclaredCache.PlanBase(store: store, serial: serial, mark: mark, pending: pending))
    }
}
