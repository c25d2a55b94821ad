import Crypto
import Foundation

/// An SSH signature over a message (OpenSSH's PROTOCOL.sshsig), as `ssh-keygen -Y sign` writes it and git appends
/// it to a signed tag: the signer's public key, a namespace (git signs with `git`), a hash algorithm (`sha256` or
/// `sha512`) and the signature over the envelope that binds them to the message's hash.
///
/// Written by hand: none of the listed packages reads sshsig (swift-nio-ssh speaks the transport protocol only).
public struct SSHSignature: Sendable, Hashable {
    public let publicKey: SSHPublicKey
    public let namespace: String
    public let hashAlgorithm: String
    /// SSH's signature blob: algorithm name, then the signature.
    let signature: [UInt8]
    let reserved: [UInt8]

    static let magic = Array("SSHSIG".utf8)
    public static let armorBegin = "-----BEGIN SSH SIGNATURE-----"
    static let armorEnd = "-----END SSH SIGNATURE-----"

    /// Reads the armored form (`-----BEGIN SSH SIGNATURE-----`, base64 lines, `-----END SSH SIGNATURE-----`, then
    /// nothing but line ends). One pass over the bytes: a tag's signature is read for every assignment a plan checks.
    public init(armored text: String) throws(SSHFormatError) {
        let bytes = Array(text.utf8)
        let begin = Array(Self.armorBegin.utf8), end = Array(Self.armorEnd.utf8)
        guard bytes.starts(with: begin), bytes.count > begin.count, bytes[begin.count] == UInt8(ascii: "\n") || bytes[begin.count] == UInt8(ascii: "\r") else {
            throw SSHFormatError("not an armored SSH signature")
        }
        var body: [UInt8] = []
        body.reserveCapacity(bytes.count)
        var line = begin.count
        var ended = false
        while line < bytes.count {
            var next = line
            while next < bytes.count, bytes[next] != UInt8(ascii: "\n") { next += 1 }
            var content = bytes[line..<next]
            if content.last == UInt8(ascii: "\r") { content = content.dropLast() }
            if ended {
                guard content.isEmpty else { throw SSHFormatError("text after the signature") }
            } else if content.elementsEqual(end) {
                ended = true
            } else {
                body += content
            }
            line = next + 1
        }
        guard ended else { throw SSHFormatError("not an armored SSH signature") }
        guard let data = Data(base64Encoded: Data(body)) else { throw SSHFormatError("the signature is not base64") }
        try self.init(blob: Array(data))
    }

    public init(blob: [UInt8]) throws(SSHFormatError) {
        var reader = SSHWireReader(blob)
        guard try reader.raw(6) == Self.magic else { throw SSHFormatError("not an SSHSIG blob") }
        let version = try reader.uint32()
        guard version == 1 else { throw SSHFormatError("SSHSIG version \(version) (cairn reads version 1)") }
        publicKey = try SSHPublicKey(blob: try reader.string())
        namespace = try reader.text()
        reserved = try reader.string()
        hashAlgorithm = try reader.text()
        guard hashAlgorithm == "sha256" || hashAlgorithm == "sha512" else {
            throw SSHFormatError("hash algorithm '\(hashAlgorithm)' (sshsig allows sha256 and sha512)")
        }
        signature = try reader.string()
        guard reader.isAtEnd else { throw SSHFormatError("bytes after the signature") }
    }

    /// Whether this is `publicKey`'s signature over `message` in `namespace`.
    public func verifies(_ message: some Collection<UInt8>, namespace expected: String) -> Bool {
        guard namespace == expected else { return false }
        let digest: [UInt8] = hashAlgorithm == "sha512" ? Array(SHA512.hash(data: Array(message))) : Array(SHA256.hash(data: Array(message)))
        var signed = SSHWireWriter()
        signed.raw(Self.magic)
        signed.string(Array(namespace.utf8))
        signed.string(reserved)
        signed.string(Array(hashAlgorithm.utf8))
        signed.string(digest)
        return publicKey.verifies(signature, over: signed.bytes)
    }
}
