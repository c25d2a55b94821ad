import CairnModel
import CairnRegistry
import CairnState
import CairnTrust
import Foundation
import Git2
import Synchronization

/// Judges assignment tags' signatures for the policy engine (`signedPromotions`, `promoters`): each tag object read
/// from git by id, against the allowed signers cairn.yaml names at the policy commit, at the time cairn first saw the
/// tag. That time is the store's record of the first sighting (recorded now for a tag never seen); with no store (a
/// pre-receive hook that reaches none) it is now, the moment the push arrives, so an expired key is never accepted
/// on the strength of the date its holder wrote into the tag.
public enum TagSignatures {
    /// The verdict on each of `tags` (name and tag object), by name.
    public static func judge(_ tags: [(name: String, object: ObjectID)], reader: RegistryReader, config: RegistryConfig, policyCommit: ObjectID,
                             store: (any StateStore)?, now: Int64) async throws -> [String: TagTrust] {
        guard !tags.isEmpty else { return [:] }
        guard let signers = try reader.signers(at: policyCommit, config: config) else {
            // Nothing can verify; an unsigned tag is still said to be unsigned.
            let repository = reader.location.repository
            return Dictionary(tags.map { tag in
                let signed = (try? repository.rawTag(tag.object)).flatMap { $0 }.map { SignedTag(object: $0).signature != nil } ?? false
                return (tag.name, TagTrust.refused(signed ? .noAllowedSigners : .unsigned))
            }, uniquingKeysWith: { first, _ in first })
        }
        let seen = try await store?.firstSightings(of: tags.map(\.object.hex), now: now) ?? [:]
        let repository = reader.location.repository
        // The objects are read in turn; the signatures (most of the time) are verified on every core.
        // Each tag object's bytes, or (a verdict already) why it cannot be read.
        let objects: [(bytes: [UInt8]?, problem: TagTrust.Problem?)] = tags.map { tag in
            do {
                guard let bytes = try repository.rawTag(tag.object) else { return (nil, .unreadable("\(tag.object.short) is not a tag object")) }
                return (bytes, nil)
            } catch {
                return (nil, .unreadable("\(error)"))
            }
        }
        let results = Mutex([TagTrust?](repeating: nil, count: tags.count))
        let chunks = max(1, min(tags.count / 64, ProcessInfo.processInfo.activeProcessorCount * 4))
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let range = (tags.count * chunk / chunks)..<(tags.count * (chunk + 1) / chunks)
            let judged: [TagTrust] = range.map { index in
                guard let bytes = objects[index].bytes else { return .refused(objects[index].problem!) }
                return TagTrust.judge(tag: bytes, signers: signers, at: seen[tags[index].object.hex] ?? now)
            }
            results.withLock { $0.replaceSubrange(range, with: judged.map(Optional.some)) }
        }
        var verdicts: [String: TagTrust] = [:]
        for (tag, verdict) in zip(tags, results.withLock { $0 }) { verdicts[tag.name] = verdict }
        return verdicts
    }

    /// The verdict on a tag not written yet (`bytes`, as it will be written) at `time`.
    public static func judge(bytes: [UInt8], reader: RegistryReader, config: RegistryConfig, policyCommit: ObjectID, at time: Int64) throws -> TagTrust {
        guard let signers = try reader.signers(at: policyCommit, config: config) else { return .refused(.noAllowedSigners) }
        return TagTrust.judge(tag: bytes, signers: signers, at: time)
    }

    /// One tag object's verdict at `time`.
    static func judge(_ object: ObjectID, repository: Repository, signers: AllowedSigners, at time: Int64) -> TagTrust {
        do {
            guard let bytes = try repository.rawTag(object) else { return .refused(.unreadable("\(object.short) is not a tag object")) }
            return TagTrust.judge(tag: bytes, signers: signers, at: time)
        } catch {
            return .refused(.unreadable("\(error)"))
        }
    }

    /// Gives `engine` what its signature and evidence policies read about `candidates`: the verdicts on their
    /// assignment tags (`signedPromotions`, `promoters`), the evidence tags about them with their verdicts
    /// (`minApprovals`, `gatesMustPass`) and, for `approvals.excludeAuthor`, who wrote the commits that introduced
    /// them. Promote, apply and the pre-receive hook all fill the engine this way. `events` lists the tags (as they
    /// will be, for the hook); it is read only when a policy needs it.
    public static func gather(_ candidates: [PolicyEngine.Candidate], into engine: inout PolicyEngine, events: () throws -> [TagEvent],
                              reader: RegistryReader, config: RegistryConfig, policyCommit: ObjectID, store: (any StateStore)?, now: Int64) async throws {
        let policy = engine.environment.policy
        var tags: [(name: String, object: ObjectID)] = []
        let assigned = Set(candidates.compactMap(\.assignment))
        if policy.requiresSignedAssignments, !assigned.isEmpty {
            tags += try events().compactMap { event in
                guard assigned.contains(event.name), let object = event.object else { return nil }
                return (event.name, object)
            }
        }
        let versions = Set(candidates.filter(engine.needsEvidence).map(\.version))
        if !versions.isEmpty {
            engine.evidence = try reader.evidence(for: versions)
            tags += engine.evidence.values.flatMap { $0.map { ($0.name, $0.object) } }
            if policy.approvalsExcludeAuthor {
                let registrations = Registrations(try events())
                for version in versions {
                    guard let registration = registrations.live[version] else { continue }
                    engine.authors[version] = try reader.location.repository.commit(registration.commit).author.email
                }
            }
        }
        guard !tags.isEmpty else { return }
        let verdicts = try await judge(tags, reader: reader, config: config, policyCommit: policyCommit, store: store, now: now)
        engine.signatures.merge(verdicts) { _, new in new }
    }
}
