import CairnTestSupport
import CairnTrust
import Foundation
import Testing

/// Tags signed by plain `git tag -s` (gpg.format=ssh) with keys from `ssh-keygen`, judged natively.
@Suite("Signed tags")
struct TagTrustTests {
    static let now = Int64(Date().timeIntervalSince1970)

    /// A repository with one commit and a tag `name` signed by `key` as `email`; returns the tag object's bytes.
    func signedTag(_ key: TestKey, email: String, name: String = "prompt/greeting#production#1", in repository: TestRepository? = nil) throws -> [UInt8] {
        let repository = try repository ?? TestRepository()
        if (try? repository.git(["rev-parse", "HEAD"])) == nil { try repository.commitAll("first") }
        try key.configure(repository, email: email)
        try repository.git(["tag", "-s", name, "-m", "promote prompt/greeting@1.0.0 to production\n\nactor: signer"],
                           environment: ["GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_NAME": "Signer"])
        return Array(try repository.git(["cat-file", "tag", name]).utf8) + [UInt8(ascii: "\n")]
    }

    func signers(_ lines: String...) throws -> AllowedSigners { try AllowedSigners(parsing: lines.joined(separator: "\n")) }

    @Test("a tag git signed with an Ed25519, ECDSA P-256 or RSA key verifies, naming the principal and fingerprint", arguments: ["ed25519", "ecdsa", "rsa"])
    func verifies(type: String) throws {
        let key = try TestKey(type: type)
        let tag = try signedTag(key, email: "jane@example.com")
        let verdict = TagTrust.judge(tag: tag, signers: try signers(key.allowedSigner("jane@example.com", options: "namespaces=\"git\"")), at: Self.now)
        guard case .verified(let signer) = verdict else { Issue.record("\(verdict)"); return }
        #expect(signer.principal == "jane@example.com")
        let fingerprint = try SSHPublicKey(text: key.publicKey).fingerprint
        #expect(signer.fingerprint == fingerprint)
        // The same fingerprint ssh-keygen prints.
        let printed = try shell("/usr/bin/ssh-keygen", ["-l", "-E", "sha256", "-f", key.privateKeyPath + ".pub"])
        #expect(printed.contains(fingerprint))
    }

    @Test("a byte flipped anywhere in the signed part of the tag is a bad signature")
    func flipped() throws {
        let key = try TestKey()
        let tag = try signedTag(key, email: "jane@example.com")
        let allowed = try signers(key.allowedSigner("jane@example.com"))
        let fingerprint = try SSHPublicKey(text: key.publicKey).fingerprint
        guard case .verified = TagTrust.judge(tag: tag, signers: allowed, at: Self.now) else { Issue.record("unflipped"); return }
        let payloadEnd = SignedTag(object: tag).payload.count
        for index in 0..<payloadEnd {
            var forged = tag
            forged[index] ^= 0x01
            // The newline before the signature, flipped, hides the signature's first line: the tag reads as unsigned.
            if index == payloadEnd - 1 {
                #expect(TagTrust.judge(tag: forged, signers: allowed, at: Self.now) == .refused(.unsigned))
                continue
            }
            #expect(TagTrust.judge(tag: forged, signers: allowed, at: Self.now) == .refused(.badSignature(fingerprint: fingerprint)), "flip at \(index)")
        }
    }

    @Test("each refusal: unsigned, GPG, unknown key, other principal, other namespace, not yet valid, expired")
    func refusals() throws {
        let key = try TestKey(), other = try TestKey()
        let fingerprint = try SSHPublicKey(text: key.publicKey).fingerprint
        let tag = try signedTag(key, email: "jane@example.com")
        func judge(_ lines: String..., at time: Int64 = Self.now, tag bytes: [UInt8]? = nil) throws -> TagTrust {
            TagTrust.judge(tag: bytes ?? tag, signers: try AllowedSigners(parsing: lines.joined(separator: "\n")), at: time)
        }
        let repository = try TestRepository()
        try repository.commitAll("first")
        try repository.tag("plain")
        let unsigned = Array(try repository.git(["cat-file", "tag", "plain"]).utf8)
        #expect(try judge(key.allowedSigner("jane@example.com"), tag: unsigned) == .refused(.unsigned))
        let gpg = unsigned + Array("\n-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n-----END PGP SIGNATURE-----\n".utf8)
        #expect(try judge(key.allowedSigner("jane@example.com"), tag: gpg) == .refused(.unsupported(.gpg)))
        #expect(try judge(other.allowedSigner("jane@example.com")) == .refused(.unknownKey(fingerprint: fingerprint)))
        #expect(try judge(key.allowedSigner("bob@example.com")) == .refused(.principalMismatch(email: "jane@example.com", fingerprint: fingerprint,
                                                                                               allowed: ["bob@example.com"])))
        #expect(try judge(key.allowedSigner("jane@example.com", options: "namespaces=\"file\"")) == .refused(.namespaceNotAllowed(fingerprint: fingerprint,
                                                                                                                                  allowed: ["file"])))
        let future = try judge(key.allowedSigner("jane@example.com", options: "valid-after=\"29990101Z\""))
        guard case .refused(.notYetValid) = future else { Issue.record("\(future)"); return }
        let past = try judge(key.allowedSigner("jane@example.com", options: "valid-before=\"20200101Z\""))
        guard case .refused(.expired) = past else { Issue.record("\(past)"); return }
        // The window is judged at the time given (when cairn first saw the tag), not now.
        #expect(try judge(key.allowedSigner("jane@example.com", options: "valid-before=\"20200101Z\""), at: 1_500_000_000) != past)
        // Patterns: a domain wildcard matches; an exclusion wins over it.
        guard case .verified = try judge(key.allowedSigner("*@example.com")) else { Issue.record("wildcard"); return }
        guard case .refused(.principalMismatch) = try judge(key.allowedSigner("!jane@example.com,*@example.com")) else { Issue.record("negation"); return }
    }

    @Test("a signature made for another namespace, spliced into the tag, is refused")
    func otherNamespace() throws {
        let key = try TestKey()
        let tag = try signedTag(key, email: "jane@example.com")
        let payload = Array(SignedTag(object: tag).payload)
        let spliced = payload + Array(try key.sign(payload, namespace: "file").utf8)
        #expect(TagTrust.judge(tag: spliced, signers: try signers(key.allowedSigner("jane@example.com")), at: Self.now)
            == .refused(.wrongSignatureNamespace("file")))
        // The same bytes signed for 'git' by ssh-keygen directly verify: cairn reads exactly what git signs.
        let resigned = payload + Array(try key.sign(payload).utf8)
        guard case .verified = TagTrust.judge(tag: resigned, signers: try signers(key.allowedSigner("jane@example.com")), at: Self.now) else {
            Issue.record("re-signed tag"); return
        }
    }

    @Test("allowed-signers errors name line and column")
    func parseErrors() throws {
        let key = try TestKey()
        let good = key.allowedSigner("jane@example.com")
        func error(_ text: String) -> String? {
            do { _ = try AllowedSigners(parsing: text); return nil } catch { return error.description }
        }
        #expect(error("# comment\n\n" + good) == nil)
        #expect(error("# comment\njane@example.com\n")?.hasPrefix("2:") == true)
        #expect(error(good + "\njane@example.com ssh-ed25519 AAAA!!\n")?.hasPrefix("2:18:") == true)
        #expect(error("jane@example.com valid-after=\"2020\" " + key.publicKey)?.hasPrefix("1:18:") == true)
        #expect(error("jane@example.com frobnicate " + key.publicKey)?.contains("unknown option") == true)
        #expect(error("jane@example.com namespaces=\"git " + key.publicKey)?.contains("quote") == true)
        #expect(error("jane@example.com ssh-ed25519 " + String(key.publicKey.split(separator: " ")[1].dropLast(8)))?.hasPrefix("1:18:") == true)
        let entries = try AllowedSigners(parsing: "jane@example.com,bob@example.com namespaces=\"git,file\",valid-after=\"20240101Z\" \(key.publicKey)").entries
        #expect(entries.count == 1)
        #expect(entries.first?.namespaces == "git,file")
        #expect(entries.first?.validAfter == 1_704_067_200)
    }

    @Test("a forged length inside a signature is an error at once, not a crash or an allocation")
    func hostileSignature() throws {
        var blob = Array("SSHSIG".utf8) + [0, 0, 0, 1] + [0x7F, 0xFF, 0xFF, 0xFF]
        blob += [UInt8](repeating: 0, count: 64)
        let armored = "-----BEGIN SSH SIGNATURE-----\n" + Data(blob).base64EncodedString() + "\n-----END SSH SIGNATURE-----\n"
        #expect(throws: SSHFormatError.self) { try SSHSignature(armored: armored) }
        let tag = Array("object 0000000000000000000000000000000000000000\ntype commit\ntag x\ntagger A <a@b> 1 +0000\n\nm\n".utf8) + Array(armored.utf8)
        guard case .refused(.malformed) = TagTrust.judge(tag: tag, signers: AllowedSigners(entries: []), at: 0) else {
            Issue.record("forged length"); return
        }
    }

    func shell(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process(), output = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
