import CairnModel

extension TagTrust {
    /// `signed by PRINCIPAL (KEYTYPE FINGERPRINT)`, `unsigned`, or why the signature is not accepted.
    public var summary: String {
        switch self {
        case .verified(let signer): "signed by \(signer.principal) (\(signer.keyType) \(signer.fingerprint))"
        case .refused(.unsigned): "unsigned"
        case .refused(let problem): "signature not accepted: \(problem)"
        }
    }

    /// The signer as JSON (principal, fingerprint, key type); null when the signature is not accepted.
    public var signerJSON: JSONValue {
        guard case .verified(let signer) = self else { return .null }
        return .object(["principal": .string(signer.principal), "fingerprint": .string(signer.fingerprint), "keyType": .string(signer.keyType)])
    }

    /// As JSON: the signer, or the problem.
    public var json: JSONValue {
        if case .refused(let problem) = self { return .object(["problem": .string(problem.description)]) }
        return signerJSON
    }
}
