import CairnModel
import Foundation
import Git2

/// Where a registry is read from: a commit's tree (the normal case) or the working tree (`--worktree`).
public enum RegistrySource: Sendable {
    case commit(ObjectID)
    case worktree
}

/// A registry root inside a repository.
public struct RegistryLocation: Sendable {
    public let repository: Repository
    /// The registry folder relative to the repository root, "" for the root, no trailing slash.
    public let root: String

    public init(repository: Repository, root: String) {
        self.repository = repository
        self.root = root.split(separator: "/").joined(separator: "/")
    }

    /// Opens the repository containing `directory` and places the registry at `path` inside it; without `path`, as
    /// git finds `.git`: the nearest folder from `directory` up to the repository's root that holds a `cairn.yaml`
    /// (the root when none does).
    public static func open(directory: String, path: String?) throws -> RegistryLocation {
        let repository: Repository
        do {
            repository = try Repository.discover(from: directory)
        } catch {
            throw CairnError.noRepository(directory: directory, cause: "\(error)")
        }
        return RegistryLocation(repository: repository, root: path ?? discoverRoot(from: directory, in: repository))
    }

    /// The registry folder (relative to the working tree's root) nearest `directory`, upward.
    static func discoverRoot(from directory: String, in repository: Repository) -> String {
        guard let workdir = repository.workingDirectory else { return "" }
        let top = URL(fileURLWithPath: workdir).resolvingSymlinksInPath().standardizedFileURL.pathComponents
        var folder = URL(fileURLWithPath: directory).resolvingSymlinksInPath().standardizedFileURL.pathComponents
        guard folder.starts(with: top) else { return "" }
        while folder.count > top.count {
            let path = NSString.path(withComponents: folder)
            if FileManager.default.fileExists(atPath: path + "/" + RegistryReader.configFileName) {
                return folder[top.count...].joined(separator: "/")
            }
            folder.removeLast()
        }
        return ""
    }

    /// Joins the registry root and a path inside it.
    public func repositoryPath(_ relative: String) -> String {
        root.isEmpty ? relative : root + "/" + relative
    }

    /// Resolves a revision, with an error that says what to do.
    public func commit(_ revision: String) throws -> ObjectID {
        do {
            return try repository.resolveCommit(revision)
        } catch {
            // HEAD that resolves to nothing is a repository with no commit yet (right after `git init` or `cairn init`).
            if revision == "HEAD" { throw CairnError.noCommitYet }
            throw CairnError.unresolvableRevision(revision, cause: "\(error)")
        }
    }
}
