import Foundation

/// A tag object's bytes as git splits them to verify a signature: the payload (headers and message) and the
/// signature block after it, which starts at the last line that opens one (git's `parse_signed_buffer`).
public struct SignedTag: Sendable {
    public enum Format: String, Sendable, Hashable {
        case ssh, gpg = "GPG", x509 = "X.509"
    }

    public let payload: ArraySlice<UInt8>
    /// The armored signature, nil when the tag is not signed.
    public let signature: String?
    public let format: Format?
    /// The email of the `tagger` header, without its angle brackets.
    public let taggerEmail: String?

    static let openers: [(String, Format)] = [
        (SSHSignature.armorBegin, .ssh), ("-----BEGIN PGP SIGNATURE-----", .gpg), ("-----BEGIN PGP MESSAGE-----", .gpg),
        ("-----BEGIN SIGNED MESSAGE-----", .x509),
    ]

    public init(object bytes: [UInt8]) {
        var start = 0, signatureStart: Int?, format: Format?
        var email: String?
        var inHeaders = true
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let line = bytes[start..<end]
            if inHeaders {
                if line.isEmpty { inHeaders = false }
                else if email == nil, line.starts(with: "tagger ".utf8), let open = line.firstIndex(of: UInt8(ascii: "<")),
                        let close = line[open...].firstIndex(of: UInt8(ascii: ">")) {
                    email = String(decoding: line[(open + 1)..<close], as: UTF8.self)
                }
            }
            if line.first == UInt8(ascii: "-"), let opener = Self.openers.first(where: { line.starts(with: $0.0.utf8) }) {
                signatureStart = start
                format = opener.1
            }
            start = end + 1
        }
        payload = bytes[..<(signatureStart ?? bytes.count)]
        signature = signatureStart.map { String(decoding: bytes[$0...], as: UTF8.self) }
        self.format = format
        taggerEmail = email
    }
}
