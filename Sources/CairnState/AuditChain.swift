import CairnModel
import Crypto

/// The SHA-256 chain over audit records: each record's hash covers its own fields and the previous hash.
public enum AuditChain {
    /// The `previousHash` of the first record.
    public static let genesis = String(repeating: "0", count: 64)

    public static func hash(_ record: AuditRecord) -> String {
        var buffer: [UInt8] = []
        return hash(record, buffer: &buffer)
    }

    /// The same, reusing `buffer` between records.
    public static func hash(_ record: AuditRecord, buffer: inout [UInt8]) -> String {
        buffer.removeAll(keepingCapacity: true)
        record.appendCanonicalBody(to: &buffer)
        return SHA256.hash(data: buffer).hexString
    }

    /// Checks records given in sequence order: numbering without gaps, each linked to the one before, each hash intact.
    public struct Verifier {
        private var expectedSequence: Int64 = 1
        private var previousHash = AuditChain.genesis
        public private(set) var count = 0
        public private(set) var lastSequence: Int64 = 0
        public private(set) var firstBad: (sequence: Int64, reason: String)?
        private var buffer: [UInt8] = []

        public init() {}

        public var headHash: String { previousHash }

        public mutating func feed(_ record: AuditRecord) {
            defer {
                count += 1
                lastSequence = record.sequence
                expectedSequence = record.sequence + 1
                previousHash = record.hash
            }
            guard firstBad == nil else { return }
            if record.sequence != expectedSequence {
                firstBad = (record.sequence, record.sequence > expectedSequence
                    ? "records \(expectedSequence)…\(record.sequence - 1) are missing (deleted)"
                    : "sequence \(record.sequence) is out of order")
            } else if record.previousHash != previousHash {
                firstBad = (record.sequence, "does not link to the record before it (reordered or replaced)")
            } else if AuditChain.hash(record, buffer: &buffer) != record.hash {
                firstBad = (record.sequence, "its content does not match its hash (edited)")
            }
        }
    }
}
