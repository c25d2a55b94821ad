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

/// Whether a tag's signature is one the allowed signers accept, as cairn judges it before anything it names is
/// deployed: an SSH signature in namespace `git`, by a key of an allowed-signers line whose principals match the
/// tagger's email, whose namespaces allow `git`, and whose validity window holds at the time given (when cairn first
/// saw the tag), over exactly the tag's bytes.
public enum TagTrust: Sendable, Hashable {
    case verified(Signer)
    case refused(Problem)

    /// Who signed: the principal (the tagger's email, as a line allowed it) and the key.
    public struct Signer: Sendable, Hashable, Codable {
        public let principal: String
        public let fingerprint: String
        public let keyType: String
    }

    public enum Problem: Sendable, Hashable, CustomStringConvertible {
        /// cairn.yaml names no allowed-signers file, so no signature can be accepted.
        case noAllowedSigners
        /// The tag object could not be read (too large, or missing).
        case unreadable(String)
        case unsigned
        /// A GPG or X.509 signature: cairn verifies SSH signatures only, and never accepts another kind.
        case unsupported(SignedTag.Format)
        case malformed(String)
        case noTaggerEmail
        case wrongSignatureNamespace(String)
        case badSignature(fingerprint: String)
        case unknownKey(fingerprint: String)
        case principalMismatch(email: String, fingerprint: String, allowed: [String])
        case namespaceNotAllowed(fingerprint: String, allowed: [String])
        case notYetValid(fingerprint: String, from: Int64, at: Int64)
        case expired(fingerprint: String, at: Int64, seen: Int64)

        public var description: String {
            switch self {
            case .noAllowedSigners: "cairn.yaml names no allowed-signers file (signers: PATH), so no signature can be accepted"
            case .unreadable(let why): "the tag object cannot be read (\(why))"
            case .unsigned: "the tag is not signed"
            case .unsupported(let format): "the tag carries a \(format.rawValue) signature, which cairn does not verify (sign with an SSH key: gpg.format=ssh)"
            case .malformed(let why): "its SSH signature cannot be read (\(why))"
            case .noTaggerEmail: "the tag has no tagger email to match a signer's principal"
            case .wrongSignatureNamespace(let namespace): "it was signed for namespace '\(namespace)', not 'git'"
            case .badSignature(let fingerprint): "its signature by \(fingerprint) does not match the tag's bytes"
            case .unknownKey(let fingerprint): "it is signed by \(fingerprint), a key the allowed signers do not list"
            case .principalMismatch(let email, let fingerprint, let allowed):
                "it is signed by \(fingerprint), which the allowed signers list for \(allowed.joined(separator: "; ")), not for the tagger \(email)"
            case .namespaceNotAllowed(let fingerprint, let allowed):
                "the allowed signers let \(fingerprint) sign only in namespaces \(allowed.joined(separator: "; ")), not 'git'"
            case .notYetValid(let fingerprint, let from, let at):
                "\(fingerprint) is allowed only from \(Self.utc(from)), and cairn first saw the tag at \(Self.utc(at))"
            case .expired(let fingerprint, let until, let seen):
                "\(fingerprint) was allowed only until \(Self.utc(until)), and cairn first saw the tag at \(Self.utc(seen))"
            }
        }

        static func utc(_ seconds: Int64) -> String {
            var time = time_t(seconds), parts = tm()
            gmtime_r(&time, &parts)
            func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
            return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
        }
    }

    /// Judges the tag object `bytes` against `signers` at `time` (seconds since 1970).
    public static func judge(tag bytes: [UInt8], signers: AllowedSigners, at time: Int64) -> TagTrust {
        let tag = SignedTag(object: bytes)
        guard let armored = tag.signature, let format = tag.format else { return .refused(.unsigned) }
        guard format == .ssh else { return .refused(.unsupported(format)) }
        let signature: SSHSignature
        do {
            signature = try SSHSignature(armored: armored)
        } catch {
            return .refused(.malformed(error.description))
        }
        let fingerprint = signature.publicKey.fingerprint
        guard signature.namespace == "git" else { return .refused(.wrongSignatureNamespace(signature.namespace)) }
        guard signature.verifies(tag.payload, namespace: "git") else { return .refused(.badSignature(fingerprint: fingerprint)) }
        guard let email = tag.taggerEmail, !email.isEmpty else { return .refused(.noTaggerEmail) }
        switch signers.authorize(signature.publicKey, as: email, namespace: "git", at: time) {
        case .success:
            return .verified(Signer(principal: email, fingerprint: fingerprint, keyType: signature.publicKey.algorithm.rawValue))
        case .failure(let error):
            switch error.refusal {
            case .unknownKey: return .refused(.unknownKey(fingerprint: fingerprint))
            case .principalMismatch(let allowed): return .refused(.principalMismatch(email: email, fingerprint: fingerprint, allowed: allowed))
            case .wrongNamespace(let allowed): return .refused(.namespaceNotAllowed(fingerprint: fingerprint, allowed: allowed))
            case .notYetValid(let from): return .refused(.notYetValid(fingerprint: fingerprint, from: from, at: time))
            case .expired(let until): return .refused(.expired(fingerprint: fingerprint, at: until, seen: time))
            }
        }
    }
}
