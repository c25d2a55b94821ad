import CairnManifest
import CairnModel
import Foundation

/// `cairn bump`: a new version of an artifact in the working tree, with everything that pins it re-pinned. Each
/// artifact whose reference the new version does not satisfy gets the new exact pin and a patch bump of its own
/// version (its content changed), and so on up to the deployments; references a range still satisfies are left
/// alone. Only the version and pin texts change, in place: comments and layout stay. The result is ready to commit,
/// and `cairn check` passes on it.
public enum VersionBump {
    public enum Level: String, Sendable, CaseIterable { case major, minor, patch }

    /// One file changed: its artifact's version, and the pins re-written in it.
    public struct Change: Sendable, CustomStringConvertible {
        public let path: String
        public let id: ArtifactID
        public let from: SemVer
        public let to: SemVer
        public let repins: [String]

        public var description: String {
            "\(id) \(from) → \(to) (\(path))" + (repins.isEmpty ? "" : "; re-pins " + repins.joined(separator: ", "))
        }
    }

    public static func next(_ version: SemVer, _ level: Level) -> SemVer {
        switch level {
        case .major: SemVer(major: version.major + 1, minor: 0, patch: 0)
        case .minor: SemVer(major: version.major, minor: version.minor + 1, patch: 0)
        case .patch: SemVer(major: version.major, minor: version.minor, patch: version.patch + 1)
        }
    }

    /// Bumps `id` in the working tree of `reader`'s repository by `level`, re-pinning what depends on it.
    public static func bump(_ id: ArtifactID, _ level: Level, reader: RegistryReader) throws -> [Change] {
        guard let workdir = reader.location.repository.workingDirectory else { throw CairnError.bareRepository(option: "bump") }
        let snapshot = try reader.read(.worktree)
        // An artifact with several versions in the tree is bumped from its newest.
        let byID = Dictionary(snapshot.artifacts.map { ($0.summary.id, $0) }, uniquingKeysWith: { $0.summary.version >= $1.summary.version ? $0 : $1 })
        guard let target = byID[id] else {
            throw CairnError.unknownArtifact(id.description, known: snapshot.artifacts.map(\.summary.id.description).sorted())
        }
        // New versions, decided in order: the artifact, then each dependent whose pin the new version breaks.
        var bumped: [ArtifactID: (from: SemVer, to: SemVer)] = [id: (target.summary.version, next(target.summary.version, level))]
        var repins: [ArtifactID: [(site: ReferenceSite, to: ArtifactVersion)]] = [:]
        var queue = [id]
        while let changed = queue.popLast() {
            let (old, to) = bumped[changed]!
            let new = ArtifactVersion(id: changed, version: to)
            // Pins that followed the old version and do not take the new one; a pin of another version stays.
            for artifact in snapshot.artifacts where byID[artifact.summary.id]?.path == artifact.path {
                for site in artifact.summary.references where site.reference.id == changed && site.reference.requirement.accepts(old)
                    && !site.reference.requirement.accepts(to) {
                    let dependent = artifact.summary.id
                    repins[dependent, default: []].append((site, new))
                    if bumped[dependent] == nil {
                        bumped[dependent] = (artifact.summary.version, next(artifact.summary.version, .patch))
                        queue.append(dependent)
                    }
                }
            }
        }
        var changes: [Change] = []
        for (artifactID, versions) in bumped.sorted(by: { $0.key < $1.key }) {
            let artifact = byID[artifactID]!
            let url = URL(fileURLWithPath: workdir).appendingPathComponent(artifact.path)
            let text = try String(contentsOf: url, encoding: .utf8)
            let node = try HardenedYAMLLoader().load(Array(text.utf8))
            var lines = text.components(separatedBy: "\n")
            var edits: [(mark: SourceMark, old: String, new: String)] = [
                (node.mark(at: [.key("metadata"), .key("version")]), versions.from.description, versions.to.description),
            ]
            for (site, to) in repins[artifactID] ?? [] {
                edits.append((site.mark, site.text, "\(to.id)@\(to.version)"))
            }
            // Later positions first, so that earlier ones stay where they are.
            for edit in edits.sorted(by: { ($0.mark.line, $0.mark.column) > ($1.mark.line, $1.mark.column) }) {
                guard edit.mark.line >= 1, edit.mark.line <= lines.count else { continue }
                let line = lines[edit.mark.line - 1]
                let start = line.index(line.startIndex, offsetBy: min(max(0, edit.mark.column - 1), line.count))
                guard let range = line.range(of: edit.old, range: start..<line.endIndex) else { continue }
                lines[edit.mark.line - 1] = line.replacingCharacters(in: range, with: edit.new)
            }
            try Data(lines.joined(separator: "\n").utf8).write(to: url)
            changes.append(Change(path: artifact.path, id: artifactID, from: versions.from, to: versions.to,
                                  repins: (repins[artifactID] ?? []).map { "\($0.to)" }))
        }
        return changes
    }
}
