/// The audit anchor tags: `cairn-audit/N` records that audit record N had hash H (lines `sequence: N` and
/// `hash: H` of an annotated tag's message), and `cairn-audit-retired/N` retires a bad anchor with an actor and a
/// reason. Tags are history, so an anchor is never deleted: a retirement is the trace that it was set aside.
public enum AnchorTag: Sendable, Hashable {
    case anchor(sequence: Int64)
    case retired(sequence: Int64)

    public static let anchorPrefix = "cairn-audit/"
    public static let retiredPrefix = "cairn-audit-retired/"

    /// Parses a tag name; nil when it is neither (or its number is not 1...999,999,999,999,999,999).
    public init?(_ name: String) {
        let isRetired = name.hasPrefix(Self.retiredPrefix)
        guard isRetired || name.hasPrefix(Self.anchorPrefix) else { return nil }
        let digits = name.dropFirst(isRetired ? Self.retiredPrefix.count : Self.anchorPrefix.count)
        guard !digits.isEmpty, digits.count <= 18, digits.first != "0", digits.allSatisfy({ $0 >= "0" && $0 <= "9" }),
              let sequence = Int64(digits) else { return nil }
        self = isRetired ? .retired(sequence: sequence) : .anchor(sequence: sequence)
    }

    /// Whether `name` is in the anchors' namespace at all (well-formed or not).
    public static func isAnchorNamespace(_ name: String) -> Bool {
        name.hasPrefix(anchorPrefix) || name.hasPrefix(retiredPrefix)
    }

    public var sequence: Int64 {
        switch self {
        case .anchor(let sequence), .retired(let sequence): sequence
        }
    }

    public var name: String {
        switch self {
        case .anchor(let sequence): Self.anchorPrefix + String(sequence)
        case .retired(let sequence): Self.retiredPrefix + String(sequence)
        }
    }

    /// The message of a new anchor.
    public static func anchorMessage(sequence: Int64, hash: String) -> String {
        TagMessage(subject: "cairn audit anchor", fields: [("sequence", String(sequence)), ("hash", hash)]).text
    }

    /// The message of a retirement.
    public static func retirementMessage(sequence: Int64, actor: String, reason: String) -> String {
        TagMessage(subject: "retire audit anchor \(anchorPrefix)\(sequence)", fields: [("actor", actor), ("reason", reason)]).text
    }

    /// The hash an anchor's message records, or why the tag cannot serve as this anchor (nil message: lightweight).
    public func recordedHash(message: String?) -> Result<String, AnchorProblem> {
        guard let message else { return .failure(AnchorProblem("\(name) is a lightweight tag; an anchor is an annotated tag with 'sequence:' and 'hash:' lines")) }
        let fields = TagMessage(parsing: message)
        switch self {
        case .anchor(let sequence):
            guard let hash = fields["hash"] else { return .failure(AnchorProblem("\(name) has no 'hash:' line")) }
            guard hash.utf8.count == 64, hash.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
                return .failure(AnchorProblem("\(name) has a 'hash:' line that is not a SHA-256 in lowercase hex"))
            }
            if let written = fields["sequence"], written != String(sequence) {
                return .failure(AnchorProblem("\(name) says 'sequence: \(written)', not \(sequence)"))
            }
            return .success(hash)
        case .retired:
            guard let reason = fields["reason"], !reason.isEmpty else { return .failure(AnchorProblem("\(name) has no 'reason:' line")) }
            return .success(reason)
        }
    }

    /// Why an anchor tag cannot be used.
    public struct AnchorProblem: Error, Sendable, Hashable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }
}
