import Foundation

/// A throw-away git repository for tests, driven by the `git` command line (independent of the code under test).
public final class TestRepository: @unchecked Sendable {
    // Used from one test at a time; nothing is shared between threads.
    public let directory: URL

    public var path: String { directory.path }

    public init(bare: Bool = false) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try git(bare ? ["init", "-q", "--bare", "-b", "main"] : ["init", "-q", "-b", "main"])
    }

    /// Adopts a repository something else made at `directory` (removed with this value, as one made here is).
    public init(adopting directory: URL) {
        self.directory = directory
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Runs git in the repository with a fixed identity (and `environment` on top); returns trimmed standard output.
    @discardableResult
    public func git(_ arguments: [String], input: String? = nil, environment extra: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_AUTHOR_NAME"] = "Test Author"
        environment["GIT_AUTHOR_EMAIL"] = "author@example.com"
        environment["GIT_COMMITTER_NAME"] = "Test Author"
        environment["GIT_COMMITTER_EMAIL"] = "author@example.com"
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        let output = Pipe(), errors = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestRepositoryError(message: "git \(arguments.joined(separator: " ")): \(String(decoding: errorData, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes a file in the working tree (folders created as needed).
    public func write(_ relativePath: String, _ content: String) throws {
        let url = directory.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(content.utf8).write(to: url)
    }

    public func remove(_ relativePath: String) throws {
        try FileManager.default.removeItem(at: directory.appendingPathComponent(relativePath))
    }

    /// Stages everything and commits; returns the commit id.
    @discardableResult
    public func commitAll(_ message: String = "change") throws -> String {
        try git(["add", "-A"])
        try git(["commit", "-q", "--allow-empty", "-m", message])
        return try git(["rev-parse", "HEAD"])
    }

    /// Writes an annotated tag at `target`.
    public func tag(_ name: String, at target: String = "HEAD", message: String = "tag") throws {
        try git(["tag", "-a", name, target, "-m", message])
    }

    /// Sets the modification time of every folder and file under `refs/tags/` ten seconds back, as if the tags had
    /// been written a while ago (one modified within the last seconds is always read again).
    public func settleTagFolders() throws {
        let root = directory.appendingPathComponent(".git/refs/tags").path
        let past = Date().addingTimeInterval(-10)
        var paths = [root]
        if let enumerator = FileManager.default.enumerator(atPath: root) {
            while let relative = enumerator.nextObject() as? String { paths.append(root + "/" + relative) }
        }
        for path in paths { try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: path) }
    }

    /// Commits a root tree built from raw `git mktree` lines (for trees git itself would never write).
    @discardableResult
    public func commitRawTree(_ lines: [String], message: String = "raw tree") throws -> String {
        let tree = try git(["mktree", "--missing"], input: lines.joined(separator: "\n") + "\n")
        return try git(["commit-tree", tree, "-m", message])
    }

    /// Writes a blob and returns its id.
    public func blob(_ content: String) throws -> String {
        try git(["hash-object", "-w", "--stdin"], input: content)
    }

    /// Copies a folder (e.g. the repository's `registry-example/`) into the working tree.
    public func copy(from source: URL, to relativePath: String) throws {
        let target = directory.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source, to: target)
    }
}

public struct TestRepositoryError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Paths of this source checkout, for tests that read `registry-example/` or run the built binary.
public enum SourceTree {
    public static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    public static var registryExample: URL { root.appendingPathComponent("registry-example") }
}
