import CairnModel
import CairnRegistry
import CairnState
import CairnTrust
import Git2

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
        let signers = try reader.signers(at: policyCommit, config: config)
        // Sightings are recorded only where a signature can be judged.
        let seen = signers == nil ? [:] : try await store?.firstSightings(of: tags.map(\.object.hex), now: now) ?? [:]
        return reader.verdicts(of: tags, signers: signers, firstSeen: seen, otherwise: now)
    }

    /// The verdict on a tag not written yet (`bytes`, as it will be written) at `time`.
    public static func judge(bytes: [UInt8], reader: RegistryReader, config: RegistryConfig, policyCommit: ObjectID, at time: Int64) throws -> TagTrust {
        guard let signers = try reader.signers(at: policyCommit, config: config) else { return .refused(.noAllowedSigners) }
        return TagTrust.judge(tag: bytes, signers: signers, at: time)
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
