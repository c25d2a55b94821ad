import Crypto
import CryptoExtras
import Foundation

/// An SSH public key of a type cairn verifies signatures with: Ed25519, ECDSA on P-256, and RSA (with SHA-2, as
/// sshsig requires). Parsed from its wire blob, as an allowed-signers line or a signature carries it.
public struct SSHPublicKey: Sendable, Hashable {
    public enum Algorithm: String, Sendable, Hashable, CaseIterable {
        case ed25519 = "ssh-ed25519"
        case ecdsaP256 = "ecdsa-sha2-nistp256"
        case rsa = "ssh-rsa"
    }

    public let algorithm: Algorithm
    /// The key's wire encoding: what fingerprints hash and what two keys compare by.
    public let blob: [UInt8]

    /// The key types that name SSH keys cairn does not verify with, so that a line holding one reads as a key.
    static let otherTypes: Set<String> = [
        "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-dss",
    ]

    /// Whether `text` names an SSH key type (supported or not), as the second or third field of an allowed-signers line.
    static func isKeyType(_ text: Substring) -> Bool {
        Algorithm(rawValue: String(text)) != nil || otherTypes.contains(String(text)) || text.hasSuffix("-cert-v01@openssh.com")
    }

    public init(blob: [UInt8]) throws(SSHFormatError) {
        var reader = SSHWireReader(blob)
        let name = try reader.text()
        guard let algorithm = Algorithm(rawValue: name) else {
            throw SSHFormatError("key type '\(name)' is not supported (cairn verifies ssh-ed25519, ecdsa-sha2-nistp256 and ssh-rsa keys)")
        }
        switch algorithm {
        case .ed25519:
            guard try reader.string().count == 32 else { throw SSHFormatError("an Ed25519 key is 32 bytes") }
        case .ecdsaP256:
            guard try reader.text() == "nistp256" else { throw SSHFormatError("an ecdsa-sha2-nistp256 key names another curve") }
            guard (try? P256.Signing.PublicKey(x963Representation: try reader.string())) != nil else {
                throw SSHFormatError("not a point on P-256")
            }
        case .rsa:
            let e = try reader.unsignedInteger(), n = try reader.unsignedInteger()
            guard n.count * 8 >= 2048 else { throw SSHFormatError("an RSA key shorter than 2048 bits") }
            guard (try? _RSA.Signing.PublicKey(n: n, e: e)) != nil else { throw SSHFormatError("not a usable RSA key") }
        }
        guard reader.isAtEnd else { throw SSHFormatError("bytes after the key") }
        self.algorithm = algorithm
        self.blob = blob
    }

    /// `ssh-ed25519 AAAA...` (a comment after it is ignored).
    public init(text: String) throws(SSHFormatError) {
        let fields = text.split(whereSeparator: \.isWhitespace)
        guard fields.count >= 2 else { throw SSHFormatError("a key is a type and base64 data") }
        guard let data = Data(base64Encoded: String(fields[1])) else { throw SSHFormatError("the key's data is not base64") }
        try self.init(blob: Array(data))
        guard algorithm.rawValue == fields[0] else { throw SSHFormatError("the key says '\(fields[0])' but holds a \(algorithm.rawValue) key") }
    }

    /// As ssh-keygen prints it: `SHA256:` and the unpadded base64 of the blob's SHA-256.
    public var fingerprint: String {
        "SHA256:" + Data(SHA256.hash(data: blob)).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    /// `TYPE BASE64`, as an allowed-signers line or `user.signingKey` holds it.
    public var text: String { algorithm.rawValue + " " + Data(blob).base64EncodedString() }

    /// Whether `signature` (SSH's signature blob: algorithm name, then the signature) is this key's over `data`.
    /// RSA signatures must use SHA-2 (`rsa-sha2-256`/`512`): sshsig refuses SHA-1's `ssh-rsa`.
    public func verifies(_ signature: [UInt8], over data: [UInt8]) -> Bool {
        var reader = SSHWireReader(signature)
        guard let name = try? reader.text(), let bytes = try? reader.string(), reader.isAtEnd else { return false }
        var key = SSHWireReader(blob)
        _ = try? key.string()
        switch (algorithm, name) {
        case (.ed25519, "ssh-ed25519"):
            guard let raw = try? key.string(), let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
            return publicKey.isValidSignature(bytes, for: data)
        case (.ecdsaP256, "ecdsa-sha2-nistp256"):
            _ = try? key.string()
            var parts = SSHWireReader(bytes)
            guard let point = try? key.string(), let publicKey = try? P256.Signing.PublicKey(x963Representation: point),
                  let r = try? parts.unsignedInteger(), let s = try? parts.unsignedInteger(), parts.isAtEnd, r.count <= 32, s.count <= 32,
                  let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: Self.padded(r) + Self.padded(s)) else { return false }
            return publicKey.isValidSignature(parsed, for: SHA256.hash(data: data))
        case (.rsa, "rsa-sha2-256"), (.rsa, "rsa-sha2-512"):
            guard let e = try? key.unsignedInteger(), let n = try? key.unsignedInteger(),
                  let publicKey = try? _RSA.Signing.PublicKey(n: n, e: e) else { return false }
            let parsed = _RSA.Signing.RSASignature(rawRepresentation: bytes)
            return name == "rsa-sha2-256"
                ? publicKey.isValidSignature(parsed, for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5)
                : publicKey.isValidSignature(parsed, for: SHA512.hash(data: data), padding: .insecurePKCS1v1_5)
        default:
            return false
        }
    }

    /// A P-256 scalar as its fixed 32 bytes.
    private static func padded(_ magnitude: [UInt8]) -> [UInt8] {
        [UInt8](repeating: 0, count: 32 - magnitude.count) + magnitude
    }
}
