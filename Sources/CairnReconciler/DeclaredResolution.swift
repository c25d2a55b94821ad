import CairnModel
import CairnRegistry
import Foundation
import Git2

/// An environment's declared state resolved from the repository's tags, memoized in `.git/cairn/declared-HASH`
/// (`DeclaredCache`) with a snapshot of the tag reference files.
///
/// When the snapshot tells which tags appeared or moved, the artifacts they name are resolved again on top of the
/// cached state, if that provably gives what resolving every tag would (`Walker.incremental` says when), without
/// listing every reference. Otherwise every reference is listed, and the artifacts whose tags changed are found by
/// their tag digests; failing that, every tag is resolved, reusing the files the cached state located, so only new
/// versions are looked up in git. Without a cache (`useCache` false), every tag is resolved.
public struct DeclaredResolution: Sendable {
    /// How the state was come by: unchanged from the cache, re-resolved for the artifacts whose tags changed, or
    /// resolved from every tag.
    public enum How: Sendable { case cached, incremental, full }

    public var state: DeclaredState
    public var how: How
    /// Where the state is memoized, and the plan base recorded there (`Reconciler.plan`).
    let cache: DeclaredCache?
    let base: DeclaredCache.PlanBase?
    /// Artifacts whose declared state was recorded after the base.
    let changedSinceBase: Set<ArtifactID>

    /// `commit` is the ref being planned, whose tree is the first place a version's file is looked for (then checked
    /// at the registration commit).
    public static func resolve(environment: String, reader: RegistryReader, isProtected: Bool, commit: ObjectID,
                               useCache: Bool = true) throws -> DeclaredResolution {
        let repository = reader.location.repository
        let cache = DeclaredCache(gitDirectory: repository.gitDirectory, environment: environment, isProtected: isProtected,
                                  schemaFingerprint: reader.analyzer.schemas.fingerprint)
        if !useCache {
            cache.log.removeAll()
            cache.log.save()
        }
        let loaded = cache.load(environment: environment)
        let (snapshot, changedNames) = TagRefSnapshot.take(commonDirectory: repository.commonDirectory, previous: loaded?.previous)
        var walker = DeclaredState.Walker(environment: environment, reader: reader, isProtected: isProtected, commit: commit, known: loaded?.state)

        func finish(_ state: DeclaredState, _ how: How, touched: Set<ArtifactID>?, digests: [ArtifactID: [UInt8]?]) -> DeclaredResolution {
            if let loaded, let touched {
                cache.update(state, touched: touched, digests: digests, snapshot: snapshot, loaded: loaded)
                return DeclaredResolution(state: state, how: how, cache: cache, base: loaded.base, changedSinceBase: loaded.changedSinceBase.union(touched))
            }
            var all = loaded == nil ? [:] : cache.tagDigests()
            for (id, digest) in digests { all[id] = digest }
            cache.save(state, digests: all.compactMapValues { $0 }, snapshot: snapshot)
            return DeclaredResolution(state: state, how: how, cache: cache, base: nil, changedSinceBase: [])
        }
        // The references of the folders the snapshot did not read are as the cache recorded them.
        let kept = { (path: String) in cache.folder(path) }

        if let loaded, let snapshot, let changedNames, cache.knows(snapshot) {
            let changed = Set(changedNames.compactMap { DeclaredState.TagGroups.artifactText($0).flatMap { ArtifactID(String($0)) } })
            var found: [ArtifactID: [(name: String, object: ObjectID)]] = [:]
            let references = { (ids: Set<ArtifactID>) in
                let new = ids.filter { found[$0] == nil }
                if !new.isEmpty {
                    let references = snapshot.references(of: new, commonDirectory: repository.commonDirectory, kept: kept)
                    for id in new { found[id] = references[id] ?? [] }
                }
                return found.filter { ids.contains($0.key) && !$0.value.isEmpty }
            }
            if changed.isEmpty {
                return finish(loaded.state, .cached, touched: [], digests: [:])
            }
            if let (state, touched) = try walker.incremental(from: loaded.state, changed: changed, references: references) {
                let digests = references(changed)
                return finish(state, .incremental, touched: touched,
                              digests: Dictionary(uniqueKeysWithValues: changed.map { ($0, digests[$0].map(DeclaredState.TagGroups.digest)) }))
            }
        }
        // Listed from the snapshot when there is one (it has read every loose reference already), else by libgit2.
        let groups = DeclaredState.TagGroups(try snapshot?.references(commonDirectory: repository.commonDirectory, kept: kept) ?? repository.tagReferences())
        if let loaded {
            let changed = groups.changed(since: cache.tagDigests())
            if let (state, touched) = try walker.incremental(from: loaded.state, changed: changed, references: { ids in groups.references.filter { ids.contains($0.key) } }) {
                return finish(state, changed.isEmpty ? .cached : .incremental, touched: touched,
                              digests: Dictionary(uniqueKeysWithValues: changed.map { ($0, groups.digests[$0]) }))
            }
        }
        let state = try walker.full(events: try reader.tagEvents(groups.references.values.flatMap { $0 }))
        return finish(state, .full, touched: nil, digests: groups.digests.mapValues { $0 })
    }

    /// Records what a plan found, for the next plan to build on.
    func record(_ base: DeclaredCache.PlanBase) { cache?.record(base) }
}
