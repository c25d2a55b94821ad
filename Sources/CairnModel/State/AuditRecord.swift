/// What an audit record says: who did what, when, to which artifact, at which commit, under which plan. A draft until
/// the store numbers and chains it into an `AuditRecord`.
public struct AuditDraft: Sendable, Hashable {
    /// Seconds since 1970.
    public var time: Int64
    public var actor: String
    /// An `AuditAction`'s text: apply, prune, refuse, drift-repair, promote, rollback, ...
    public var action: String
    public var environment: String
    /// `KIND/NAME@VERSION`, empty for records about a whole plan.
    public var artifact: String
    public var digest: String
    public var commit: String
    public var tag: String
    public var planSummary: String
    /// Canonical JSON of the artifact's compliance block at that moment (or the refusal's reason).
    public var compliance: String

    public init(time: Int64, actor: String, action: AuditAction, environment: String, artifact: String = "", digest: String = "",
                commit: String = "", tag: String = "", planSummary: String = "", compliance: String = "") {
        self.init(time: time, actor: actor, action: action.rawValue, environment: environment, artifact: artifact, digest: digest,
                  commit: commit, tag: tag, planSummary: planSummary, compliance: compliance)
    }

    /// As a store read it back: the action as text (a record written by another cairn may name one this one lacks).
    public init(time: Int64, actor: String, action: String, environment: String, artifact: String, digest: String,
                commit: String, tag: String, planSummary: String, compliance: String) {
        (self.time, self.actor, self.action, self.environment, self.artifact) = (time, actor, action, environment, artifact)
        (self.digest, self.commit, self.tag, self.planSummary, self.compliance) = (digest, commit, tag, planSummary, compliance)
    }
}

/// One entry of the append-only, hash-chained audit trail: an entry, its number, and the hashes that chain it. The
/// entry's fields read as the record's own (`record.actor`).
@dynamicMemberLookup
public struct AuditRecord: Sendable, Hashable {
    public var sequence: Int64
    public var entry: AuditDraft
    public var previousHash: String
    public var hash: String

    public init(sequence: Int64, entry: AuditDraft, previousHash: String, hash: String) {
        self.sequence = sequence
        self.entry = entry
        self.previousHash = previousHash
        self.hash = hash
    }

    public subscript<Value>(dynamicMember field: WritableKeyPath<AuditDraft, Value>) -> Value {
        get { entry[keyPath: field] }
        set { entry[keyPath: field] = newValue }
    }

    /// The text the hash covers: every field but `hash`, as canonical JSON (sorted keys, no whitespace).
    public var canonicalBody: String {
        var bytes: [UInt8] = []
        appendCanonicalBody(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the canonical body as UTF-8 (the same bytes `JSONValue.object(...).canonicalJSON` gives).
    public func appendCanonicalBody(to out: inout [UInt8]) {
        let entry = self.entry
        Self.appendCanonicalBody(to: &out, sequence: sequence, time: entry.time) { field, out in
            let text = switch field {
            case .action: entry.action
            case .actor: entry.actor
            case .artifact: entry.artifact
            case .commit: entry.commit
            case .compliance: entry.compliance
            case .digest: entry.digest
            case .environment: entry.environment
            case .planSummary: entry.planSummary
            case .previousHash: previousHash
            case .tag: entry.tag
            }
            JSONValue.appendQuoted(text, to: &out)
        }
    }

    /// The text fields of the hashed body, in the body's key order.
    public enum TextField: CaseIterable, Sendable {
        case action, actor, artifact, commit, compliance, digest, environment, planSummary, previousHash, tag
    }

    /// Writes the canonical body with keys in their sorted order directly; `text` appends one text field as a JSON
    /// string. Verify runs this a million times, from stored columns as well as from records.
    @inlinable
    public static func appendCanonicalBody(to out: inout [UInt8], sequence: Int64, time: Int64,
                                           text: (TextField, inout [UInt8]) -> Void) {
        func key(_ name: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        }
        key("{\"action\":"); text(.action, &out)
        key(",\"actor\":"); text(.actor, &out)
        key(",\"artifact\":"); text(.artifact, &out)
        key(",\"commit\":"); text(.commit, &out)
        key(",\"compliance\":"); text(.compliance, &out)
        key(",\"digest\":"); text(.digest, &out)
        key(",\"environment\":"); text(.environment, &out)
        key(",\"planSummary\":"); text(.planSummary, &out)
        key(",\"previousHash\":"); text(.previousHash, &out)
        key(",\"sequence\":"); appendDecimal(sequence, to: &out)
        key(",\"tag\":"); text(.tag, &out)
        key(",\"time\":"); appendDecimal(time, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `value` in decimal, as `String(value)` spells it, without making the string.
    @inlinable
    static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 20 digits, filled from the end
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index...]))
        }
    }
}
