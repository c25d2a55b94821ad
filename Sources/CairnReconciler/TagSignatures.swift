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
        guard let signers = try reader.signers(at: policyCommit, config: config) else {
            return Dictionary(tags.map { ($0.name, TagTrust.refused(.noAllowedSigners)) }, uniquingKeysWith: { first, _ in first })
        }
        let seen = try await store?.firstSightings(of: tags.map(\.object.hex), now: now) ?? [:]
        var verdicts: [String: TagTrust] = [:]
        for tag in tags {
            verdicts[tag.name] = judge(tag.object, repository: reader.location.repository, signers: signers, at: seen[tag.object.hex] ?? now)
        }
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

    /// The assignment tags among `candidates` that `engine`'s policy needs judged, with their objects from `events`.
    static func needed(_ candidates: [PolicyEngine.Candidate], engine: PolicyEngine, events: () throws -> [TagEvent]) rethrows -> [(name: String, object: ObjectID)] {
        guard engine.environment.policy.requiresSignedAssignments else { return [] }
        let names = Set(candidates.compactMap(\.assignment))
        guard !names.isEmpty else { return [] }
        return try events().compactMap { event in
            guard names.contains(event.name), let object = event.object else { return nil }
            return (event.name, object)
        }
    }
}
