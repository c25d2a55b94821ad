import CairnModel
import CairnRegistry
import CairnState
import Foundation
import Git2

/// Anchors the audit chain's head in git (annotated tags `cairn-audit/N`) so that cutting records off the end of
/// the trail is detectable: an anchor names a sequence number and hash that must still be there. A bad anchor (one
/// forged, or written against another store) is never deleted: `retire` sets it aside with a tag of its own.
public enum AuditAnchor {
    /// Tags the current head at `commit`; returns the tag name (nil when the trail is empty).
    @discardableResult
    public static func write(store: any StateStore, repository: Repository, commit: ObjectID, actor: String, now: Int64) async throws -> String? {
        let head = try await store.verifyAudit()
        guard head.records > 0, head.firstBad == nil else { return nil }
        let name = AnchorTag.anchor(sequence: head.lastSequence).name
        if try repository.tags().contains(where: { $0.name == name }) { return name }
        try repository.createTag(name: name, target: commit, tagger: tagger(actor, now),
                                 message: AnchorTag.anchorMessage(sequence: head.lastSequence, hash: head.headHash))
        return name
    }

    /// What the anchors say about the store.
    public struct Check: Sendable, Equatable {
        /// The first anchor the store no longer matches or that cannot be used; nil when every live anchor holds.
        public var problem: String?
        /// Anchors set aside, one line each (`cairn-audit/9 retired by bob: forged`).
        public var retired: [String]
    }

    /// Checks every anchor that is not retired against the store.
    public static func check(store: any StateStore, repository: Repository) async throws -> Check {
        let tags = try repository.tags().filter { AnchorTag.isAnchorNamespace($0.name) }
        var retirements: [Int64: String] = [:]
        var problem: String?
        for tag in tags {
            guard case .retired(let sequence)? = AnchorTag(tag.name) else { continue }
            switch AnchorTag.retired(sequence: sequence).recordedHash(message: tag.annotation?.message) {
            case .success(let reason):
                retirements[sequence] = "\(AnchorTag.anchor(sequence: sequence).name) retired by \(tag.annotation?.tagger?.name ?? "unknown"): \(reason)"
            case .failure(let why):
                problem = problem ?? "retirement \(why)"
            }
        }
        for tag in tags {
            guard let anchor = AnchorTag(tag.name) else {
                problem = problem ?? "\(tag.name) is in the audit anchors' namespace but is not cairn-audit/N or cairn-audit-retired/N"
                continue
            }
            guard case .anchor(let sequence) = anchor, retirements[sequence] == nil else { continue }
            let hint = "; if it is not yours, retire it with 'cairn audit retire-anchor \(sequence) --reason ...'"
            switch anchor.recordedHash(message: tag.annotation?.message) {
            case .failure(let why):
                problem = problem ?? "anchor \(why), so it cannot be checked\(hint)"
            case .success(let expected):
                guard let actual = try await store.auditHash(sequence: sequence) else {
                    problem = problem ?? "anchor \(tag.name) names record #\(sequence), which is gone: the trail was truncated\(hint)"
                    continue
                }
                if actual != expected {
                    problem = problem ?? "anchor \(tag.name) names record #\(sequence) with hash \(expected.prefix(12))…, the store has \(actual.prefix(12))…\(hint)"
                }
            }
        }
        return Check(problem: problem, retired: retirements.sorted { $0.key < $1.key }.map(\.value))
    }

    /// Retires anchor `sequence` with a `cairn-audit-retired/N` tag beside it (at the anchor's commit, else `commit`)
    /// and an audit record; returns the tag name. Refused when there is no such anchor or it is already retired.
    public static func retire(sequence: Int64, reason: String, store: any StateStore, repository: Repository, commit: ObjectID,
                              actor: String, now: Int64) async throws -> String {
        let anchor = AnchorTag.anchor(sequence: sequence), retirement = AnchorTag.retired(sequence: sequence)
        let tags = try repository.tags()
        guard let tag = tags.first(where: { $0.name == anchor.name }) else {
            throw CairnError.noSuchAnchor(anchor.name)
        }
        guard !tags.contains(where: { $0.name == retirement.name }) else {
            throw CairnError.alreadyRetired(anchor: anchor.name, retirement: retirement.name)
        }
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw CairnError.missingReason(command: "a retirement") }
        let target = (try? repository.commit(tag.target).id) ?? commit
        try repository.createTag(name: retirement.name, target: target, tagger: tagger(actor, now),
                                 message: AnchorTag.retirementMessage(sequence: sequence, actor: actor, reason: reason))
        try await store.appendAudit([AuditDraft(time: now, actor: actor, action: .retireAnchor, environment: "", artifact: anchor.name,
                                          tag: retirement.name, planSummary: "retired audit anchor \(anchor.name): \(reason)")])
        return retirement.name
    }

    /// Who an anchor or retirement tag is from: the actor, with an address that names no mailbox.
    private static func tagger(_ actor: String, _ now: Int64) -> Signature {
        Signature(name: actor, email: "\(actor)@cairn.invalid", time: now)
    }
}
