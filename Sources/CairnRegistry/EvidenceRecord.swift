import CairnModel
import CairnTrust
import Git2

/// One evidence tag as read from git: its name, object, the statement in its message, its tagger and the commit it
/// points at. Whether its signature verifies is judged apart (`TagTrust`), against the allowed signers.
public struct EvidenceRecord: Sendable, Hashable {
    public let tag: EvidenceTag
    public let object: ObjectID
    public let statement: EvidenceStatement
    public let tagger: Signature?
    public let commit: ObjectID

    public var name: String { tag.text }
    /// Seconds since 1970 of the tagger's signature (0 when there is none).
    public var time: Int64 { tagger?.time ?? 0 }

    /// Whether the statement is about `version` with content digest `digest` (a hex SHA-256).
    public func isAbout(_ version: ArtifactVersion, digest: String) -> Bool {
        statement.subject.count == 1 && statement.subject[0].name == version.description && statement.subjectDigest == digest
    }
}

extension RegistryReader {
    /// The evidence tags about `versions`, oldest first: well-formed tags whose message holds a statement about the
    /// version the name says. Others are skipped with a warning (a statement about one version filed under another's
    /// name is never counted for either).
    public func evidence(for versions: Set<ArtifactVersion>) throws -> [ArtifactVersion: [EvidenceRecord]] {
        guard !versions.isEmpty else { return [:] }
        return try evidence { versions.contains($0.version) }
    }

    /// Every evidence tag about `id` (every artifact when nil), by version, oldest first.
    public func evidence(about id: ArtifactID?) throws -> [ArtifactVersion: [EvidenceRecord]] {
        try evidence { id == nil || $0.version.id == id }
    }

    private func evidence(where wanted: (EvidenceTag) -> Bool) throws -> [ArtifactVersion: [EvidenceRecord]] {
        let repository = location.repository
        var found: [ArtifactVersion: [EvidenceRecord]] = [:]
        for reference in try tagReferences() where EvidenceTag.isEvidenceNamespace(reference.name) {
            guard let tag = EvidenceTag(reference.name), wanted(tag) else { continue }
            guard let (target, annotation) = try repository.annotatedTag(reference.object),
                  let statement = EvidenceStatement(tagMessage: annotation.message), statement.isFiled(under: tag) else {
                Warnings.emit("tag '\(reference.name)' holds no statement about \(tag.version) of its kind; it is ignored")
                continue
            }
            found[tag.version, default: []].append(EvidenceRecord(tag: tag, object: reference.object, statement: statement,
                                                                  tagger: annotation.tagger, commit: target))
        }
        return found.mapValues { $0.sorted { ($0.time, $0.name) < ($1.time, $1.name) } }
    }
}
