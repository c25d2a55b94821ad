import CairnManifest
import CairnModel
import CairnState
import Foundation

/// What an environment runs, written as files for applications that read files (`cairn export`, `serve
/// --export-dir`): `DIR/KIND/NAME.json` (the deployed document, canonical JSON) and `DIR/manifest.json` (environment,
/// serial, and each artifact's version, digest, tag and commit, with one digest over them).
///
/// `DIR` is a symbolic link to a sibling folder `.NAME-DIGEST` holding one complete export; a new export is written
/// whole into a new folder and the link replaced by `rename(2)`, so a reader that opens `DIR/...` sees the old export
/// or the new one, never a mix or a half-written file. The previous folder is kept (a reader may still be in it); older
/// ones are removed. An export whose digest is the one already linked writes nothing.
public enum DeployedExport {
    public struct Outcome: Sendable, Equatable {
        /// The folder the link now names.
        public let folder: String
        public let artifacts: Int
        public let digest: String
        /// False when the export was already there.
        public let written: Bool
    }

    public static func write(environment: String, store: any StateStore, to directory: String) async throws -> Outcome {
        let serial = try await store.serial(environment: environment)
        let rows = try await store.deployed(environment: environment, content: true).sorted { $0.artifact.version.id < $1.artifact.version.id }
        return try write(environment: environment, serial: serial, rows: rows, to: directory)
    }

    static func write(environment: String, serial: Int, rows: [StoredArtifact], to directory: String) throws -> Outcome {
        let link = URL(fileURLWithPath: directory).standardizedFileURL
        let parent = link.deletingLastPathComponent(), name = link.lastPathComponent
        let pairs = rows.map { "\($0.artifact.version.id)\t\($0.artifact.digest)\n" }.joined()
        let digest = ContentDigest.sha256(Array(pairs.utf8))
        let folderName = ".\(name)-\(digest.prefix(16))"
        let folder = parent.appendingPathComponent(folderName)
        let manager = FileManager.default

        var info = stat()
        if lstat(link.path, &info) == 0, info.st_mode & S_IFMT != S_IFLNK {
            throw CairnError.fileExists(path: link.path, fix: "export writes DIR as a link to a folder it swaps; pass a new path, or remove this one")
        }
        let current = try? manager.destinationOfSymbolicLink(atPath: link.path)
        if current == folderName, manager.fileExists(atPath: folder.appendingPathComponent("manifest.json").path) {
            return Outcome(folder: folder.path, artifacts: rows.count, digest: "sha256:" + digest, written: false)
        }

        let staging = parent.appendingPathComponent("\(folderName).tmp-\(getpid())")
        try? manager.removeItem(at: staging)
        do {
            try manager.createDirectory(at: staging, withIntermediateDirectories: true)
            var entries: [JSONValue] = []
            for row in rows {
                let artifact = row.artifact
                guard let kind = artifact.version.id.kind else { continue }
                // Names are the artifact grammar's ([a-z0-9-]), so a path built from them stays inside the folder.
                let file = staging.appendingPathComponent(kind.shortName).appendingPathComponent(artifact.version.id.name + ".json")
                try manager.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(artifact.content.utf8).write(to: file)
                entries.append(.object([
                    "id": .string(artifact.version.id.description), "version": .string(artifact.version.version.description),
                    "digest": .string("sha256:" + artifact.digest), "tag": .string(artifact.tag), "commit": .string(artifact.commit),
                    "file": .string("\(kind.shortName)/\(artifact.version.id.name).json"), "drifted": .bool(row.drifted),
                ]))
            }
            let manifest: JSONValue = .object([
                "environment": .string(environment), "serial": .int(serial), "digest": .string("sha256:" + digest), "artifacts": .array(entries),
            ])
            try Data((manifest.prettyJSON() + "\n").utf8).write(to: staging.appendingPathComponent("manifest.json"))
            try? manager.removeItem(at: folder)
            try manager.moveItem(at: staging, to: folder)
            let newLink = parent.appendingPathComponent(".\(name).link-\(getpid())")
            try? manager.removeItem(at: newLink)
            try manager.createSymbolicLink(atPath: newLink.path, withDestinationPath: folderName)
            guard rename(newLink.path, link.path) == 0 else {
                let cause = String(cString: strerror(errno))
                try? manager.removeItem(at: newLink)
                throw CairnError.fileSystem(operation: "replace", path: link.path, cause: cause)
            }
        } catch {
            try? manager.removeItem(at: staging)
            throw error
        }
        // Keep the export just replaced (a reader may be inside it); remove older ones of this link.
        for entry in (try? manager.contentsOfDirectory(atPath: parent.path)) ?? []
        where isExportFolder(entry, of: name) && entry != folderName && entry != current {
            try? manager.removeItem(at: parent.appendingPathComponent(entry))
        }
        return Outcome(folder: folder.path, artifacts: rows.count, digest: "sha256:" + digest, written: true)
    }

    /// Whether `entry` is one of this link's export folders: `.NAME-` and 16 hex digits exactly (so that another link
    /// whose name starts the same, `prod-eu` beside `prod`, keeps its folders).
    static func isExportFolder(_ entry: String, of name: String) -> Bool {
        let prefix = ".\(name)-"
        guard entry.hasPrefix(prefix) else { return false }
        let rest = entry.dropFirst(prefix.count)
        return rest.count == 16 && rest.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
