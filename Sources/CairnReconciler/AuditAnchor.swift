import CairnModel
import CairnState
import Foundation
import Git2

/// Anchors the audit chain's head in git (annotated tags `cairn-audit/N`) so that cutting records off the end of
/// the trail is detectable: an anchor names a sequence number and hash that must still be there.
public enum AuditAnchor {
    public static let prefix = "cairn-audit/"

    /// Tags the current head at `commit`; returns the tag name (nil when the trail is empty).
    @discardableResult
    public static func write(store: any StateStore, repository: Repository, commit: ObjectID, actor: String, now: Int64) throws -> String? {
        let head = try store.verifyAudit()
        guard head.records > 0, head.firstBad == nil else { return nil }
        let sequence = head.lastSequence
        let name = prefix + String(sequence)
        if try repository.tags().contains(where: { $0.name == name }) { return name }
        try repository.createTag(name: name, target: commit, tagger: Signature(name: actor, email: "\(actor)@cairn.invalid", time: now),
                                 message: "cairn audit anchor\nsequence: \(sequence)\nhash: \(head.headHash)\n")
        return name
    }

    /// The first anchor the store no longer matches (a truncated or rewritten tail), nil when every anchor holds.
    public static func check(store: any StateStore, repository: Repository) throws -> String? {
        for tag in try repository.tags() where tag.name.hasPrefix(prefix) {
            guard let message = tag.annotation?.message, let sequence = Int64(tag.name.dropFirst(prefix.count)),
                  let hashLine = message.split(separator: "\n").first(where: { $0.hasPrefix("hash: ") }) else { continue }
            let expected = String(hashLine.dropFirst("hash: ".count))
            guard let actual = try store.auditHash(sequence: sequence) else {
                return "anchor \(tag.name) names record #\(sequence), which is gone: the trail was truncated"
            }
            if actual != expected { return "anchor \(tag.name) names record #\(sequence) with hash \(expected.prefix(12))…, the store has \(actual.prefix(12))…" }
        }
        return nil
    }
}
