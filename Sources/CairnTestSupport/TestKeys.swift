import Foundation

/// A throw-away SSH key pair made by `ssh-keygen`, for signing tags as `git tag -s` does with `gpg.format=ssh`.
public final class TestKey: @unchecked Sendable {
    // Read-only after init; the folder is removed with the value.
    public let folder: URL
    /// The private key's file (git's `user.signingKey` may name it).
    public let privateKeyPath: String
    /// `TYPE BASE64 COMMENT`, as the `.pub` file holds it.
    public let publicKey: String

    /// `type`: `ed25519`, `ecdsa` (P-256) or `rsa` (3072 bits).
    public init(type: String = "ed25519") throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        privateKeyPath = folder.appendingPathComponent("key").path
        var arguments = ["-q", "-t", type, "-N", "", "-C", "test-\(type)", "-f", privateKeyPath]
        if type == "ecdsa" { arguments += ["-b", "256"] }
        try Self.run("/usr/bin/ssh-keygen", arguments)
        publicKey = try String(contentsOfFile: privateKeyPath + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// An allowed-signers line for this key.
    public func allowedSigner(_ principals: String, options: String? = nil) -> String {
        ([principals] + (options.map { [$0] } ?? []) + [publicKey]).joined(separator: " ")
    }

    /// `ssh-keygen -Y sign -n NAMESPACE` over `message`: the armored signature.
    public func sign(_ message: [UInt8], namespace: String = "git") throws -> String {
        let file = folder.appendingPathComponent("message-\(UUID().uuidString)")
        try Data(message).write(to: file)
        defer {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(atPath: file.path + ".sig")
        }
        try Self.run("/usr/bin/ssh-keygen", ["-q", "-Y", "sign", "-n", namespace, "-f", privateKeyPath, file.path])
        return try String(contentsOfFile: file.path + ".sig", encoding: .utf8)
    }

    /// Makes `repository` sign tags with this key as `email` (`git tag -s`, `gpg.format=ssh`).
    public func configure(_ repository: TestRepository, email: String) throws {
        try repository.git(["config", "gpg.format", "ssh"])
        try repository.git(["config", "user.signingKey", privateKeyPath])
        try repository.git(["config", "user.email", email])
        try repository.git(["config", "user.name", "Signer"])
    }

    static func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestRepositoryError(message: "\(executable) \(arguments.joined(separator: " ")): \(String(decoding: message, as: UTF8.self))")
        }
    }
}
