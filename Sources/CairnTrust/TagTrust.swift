import CairnModel

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
                "\(fingerprint) is allowed only from \(Timestamp.text(from)), and cairn first saw the tag at \(Timestamp.text(at))"
            case .expired(let fingerprint, let until, let seen):
                "\(fingerprint) was allowed only until \(Timestamp.text(until)), and cairn first saw the tag at \(Timestamp.text(seen))"
            }
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
