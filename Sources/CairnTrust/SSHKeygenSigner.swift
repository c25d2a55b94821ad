import Foundation

/// Signs a tag's bytes the way `git tag -s` does with `gpg.format=ssh`: `ssh-keygen -Y sign -n git` with git's
/// `user.signingKey`, which names a private key file, or holds a public key (`key::ssh-ed25519 AAAA...` or a bare
/// `ssh-ed25519 AAAA...`) whose private half the SSH agent has. Signing needs the user's key, so it goes through
/// ssh-keygen as git's own does; verifying never does.
public struct SSHKeygenSigner: Sendable {
    public let signingKey: String

    public init(signingKey: String) {
        self.signingKey = signingKey
    }

    /// Why a tag could not be signed, with what to do.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The armored signature of `payload` in namespace `git`.
    public func sign(_ payload: [UInt8]) throws -> String {
        var literal: String?
        if signingKey.hasPrefix("key::") { literal = String(signingKey.dropFirst(5)) }
        else if SSHPublicKey.isKeyType(signingKey.split(separator: " ").first ?? "") { literal = signingKey }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-sign-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var arguments = ["-Y", "sign", "-n", "git", "-q"]
        if let literal {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("key.pub")
            try Data((literal + "\n").utf8).write(to: file)
            arguments += ["-U", "-f", file.path]
        } else {
            let path = signingKey.hasPrefix("~/") ? NSHomeDirectory() + signingKey.dropFirst(1) : signingKey
            guard FileManager.default.fileExists(atPath: path) else {
                throw Failure(description: "user.signingKey names \(path), which does not exist; set it to your SSH key (git config user.signingKey ~/.ssh/id_ed25519)")
            }
            arguments += ["-f", path]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ssh-keygen"] + arguments
        let input = Pipe(), output = Pipe(), errors = Pipe()
        (process.standardInput, process.standardOutput, process.standardError) = (input, output, errors)
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot run ssh-keygen to sign (\(error)); install OpenSSH's client")
        }
        // Written from another thread so that a large payload cannot block against ssh-keygen's full output pipe.
        let writer = Thread {
            input.fileHandleForWriting.write(Data(payload))
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let signature = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, !signature.isEmpty else {
            throw Failure(description: "ssh-keygen could not sign with user.signingKey: \(String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return String(decoding: signature, as: UTF8.self)
    }
}
