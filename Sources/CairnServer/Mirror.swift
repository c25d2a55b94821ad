import CairnModel
import Crypto
import Foundation
import Git2

/// serve's local copy of a remote repository (`--remote URL`): a bare repository whose branches and tags are the
/// remote's, force-updated and pruned on each fetch, with HEAD on the remote's default branch (or `--branch`). The
/// registry is read from it like any repository; nothing is ever checked out, so no file under review decides where
/// cairn writes.
public final class Mirror: Sendable {
    public let url: String
    public let directory: String
    public let repository: Repository
    /// The branch HEAD follows (`refs/heads/NAME`); nil: the remote's default branch.
    let branch: String?

    static let refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"]
    static let namespaces = ["refs/heads/", "refs/tags/"]

    /// What one fetch did: how many references it created, moved or deleted, and the branch the remote's HEAD names
    /// (`refs/heads/main`; nil when the remote does not say).
    public struct Fetched: Sendable {
        public let updated: Int
        public let defaultBranch: String?
    }

    /// Opens the mirror of `url` in `directory`, creating it (bare, empty) when the folder is missing or empty. A
    /// folder that mirrors another URL, or holds something else, is refused rather than fetched into.
    public init(url: String, directory: String, branch: String? = nil) throws {
        self.url = Self.normalized(url)
        self.directory = directory
        self.branch = branch.map { $0.hasPrefix("refs/") ? $0 : "refs/heads/" + $0 }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        if contents.isEmpty {
            do {
                repository = try Repository.create(at: directory, bare: true)
                try repository.addRemote("origin", url: self.url)
            } catch {
                throw CairnError.mirror(directory: directory, problem: "cannot create it (\(error))", fix: "pass a folder cairn may write with --mirror")
            }
            return
        }
        guard let repository = try? Repository.discover(from: directory), repository.isBare,
              URL(fileURLWithPath: repository.gitDirectory).standardizedFileURL.path == URL(fileURLWithPath: directory).standardizedFileURL.path
        else {
            throw CairnError.mirror(directory: directory, problem: "the folder is not empty and is not a bare repository cairn made",
                                    fix: "pass an empty or new folder with --mirror")
        }
        let mirrored = try? repository.configValue("remote.origin.url")
        guard mirrored == self.url else {
            throw CairnError.mirror(directory: directory, problem: "it mirrors \(mirrored ?? "nothing"), not \(self.url)",
                                    fix: "pass another folder with --mirror, or remove this one")
        }
        self.repository = repository
    }

    /// Where a mirror of `url` lives unless `--mirror` says: `$XDG_CACHE_HOME/cairn/mirrors/HASH` (else `~/.cache`).
    public static func defaultDirectory(for url: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() + "/.cache"
        let name = SHA256.hash(data: Array(normalized(url).utf8)).prefix(8).hexString
        return cache + "/cairn/mirrors/" + name
    }

    /// A local path as an absolute one (libgit2 would read it relative to wherever serve runs); URLs as given.
    static func normalized(_ url: String) -> String {
        guard !url.contains("://"), !url.contains("@"), FileManager.default.fileExists(atPath: url) else { return url }
        return URL(fileURLWithPath: url).standardizedFileURL.path
    }

    /// Fetches every branch and tag (a tag deleted there is deleted here) and points HEAD at the branch to follow.
    /// The objects come first, then the references, so that a reader of the mirror never meets a reference to an
    /// object it lacks. A remote on this machine (a path or `file://`) is read directly and what the mirror lacks
    /// copied as one pack; any other goes through libgit2's transports, negotiated from `negotiator`.
    @discardableResult
    public func fetch() throws -> Fetched {
        let remote: Repository.References
        if let path = Self.localPath(url) {
            let source = try Repository.open(at: path)
            remote = try source.references(under: Self.namespaces)
            let missing = try Set(remote.objects.values).filter { try !repository.hasObject($0) }
            if !missing.isEmpty {
                let known = try repository.references(under: ["refs/heads/"]).objects.values
                try repository.copyObjects(from: source, reachableFrom: missing.sorted(), notFrom: Array(known))
            }
        } else {
            remote = try negotiator().download(from: url, refspecs: Self.refspecs)
        }
        let updated = try repository.setReferences(remote.objects, under: Self.namespaces)
        // A fetch that wrote many references (the first one, into an empty mirror) packs them, as `git gc --auto`
        // would: later fetches then compare the remote's references with one file, not thousands (13 s → 0.8 s per
        // fetch for 20,000 tags).
        if updated > 256 { try repository.packReferences() }
        if let head = branch ?? remote.head, try repository.headReference() != head {
            try repository.setHead(head)
        }
        return Fetched(updated: updated, defaultBranch: remote.head)
    }

    /// The repository libgit2's transports download through (`cairn/fetch.git` inside the mirror): its objects are
    /// the mirror's, and its references only the mirror's branches, which is what the remote is told the mirror has.
    /// libgit2 offers every local reference in the negotiation, one sorted insertion each; offering 20,000 tags
    /// took 3.8 s, offering the branches takes milliseconds, and the branches' history covers what the tags name.
    func negotiator() throws -> Repository {
        let path = repository.gitDirectory + (repository.gitDirectory.hasSuffix("/") ? "" : "/") + "cairn/fetch.git"
        let negotiator = FileManager.default.fileExists(atPath: path + "/HEAD") ? try Repository.open(at: path) : try Repository.create(at: path, bare: true)
        let branches = try repository.references(under: ["refs/heads/"]).objects
        try negotiator.shareObjects(with: repository.gitDirectory)
        try negotiator.setReferences(branches, under: ["refs/heads/"])
        return negotiator
    }

    /// The folder of a remote on this machine (a path, or a `file://` URL), nil for a network URL.
    static func localPath(_ url: String) -> String? {
        if url.hasPrefix("file://") { return URL(string: url)?.path }
        return url.contains("://") || url.contains("@") ? nil : url
    }
}
