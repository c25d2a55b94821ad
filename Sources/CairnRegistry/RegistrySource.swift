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

    /// Opens the repository containing `directory` and places the registry at `path` inside it.
    public static func open(directory: String, path: String?) throws -> RegistryLocation {
        let repository: Repository
        do {
            repository = try Repository.discover(from: directory)
        } catch {
            throw CairnError.noRepository(directory: directory, cause: "\(error)")
        }
        return RegistryLocation(repository: repository, root: path ?? "")
    }

    /// Joins the registry root and a path inside it.
    func repositoryPath(_ relative: String) -> String {
        root.isEmpty ? relative : root + "/" + relative
    }

    /// Resolves a revision, with an error that says what to do.
    public func commit(_ revision: String) throws -> ObjectID {
        do {
            return try repository.resolveCommit(revision)
        } catch {
            throw CairnError.unresolvableRevision(revision, cause: "\(error)")
        }
    }
}
