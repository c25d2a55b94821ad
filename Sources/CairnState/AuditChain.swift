import CairnModel
import Crypto
import Foundation

/// The SHA-256 chain over audit records: each record's hash covers its own fields and the previous hash.
public enum AuditChain {
    /// The `previousHash` of the first record.
    public static let genesis = String(repeating: "0", count: 64)

    public static func hash(_ record: AuditRecord) -> String {
        var buffer: [UInt8] = []
        return hash(record, buffer: &buffer)
    }

    /// Numbers a draft, links it to the previous record and computes its hash.
    public static func seal(_ draft: AuditDraft, sequence: Int64, previousHash: String) -> AuditRecord {
        var record = AuditRecord(sequence: sequence, time: draft.time, actor: draft.actor, action: draft.action,
                                 environment: draft.environment, artifact: draft.artifact, digest: draft.digest,
                                 commit: draft.commit, tag: draft.tag, planSummary: draft.planSummary,
                                 compliance: draft.compliance, previousHash: previousHash, hash: "")
        record.hash = hash(record)
        return record
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

        /// Checks a run of consecutive records, recomputing their hashes on every core first (each hash depends only
        /// on its own record, which stores the previous hash), then walking the links in order.
        public mutating func feed(batch records: [AuditRecord]) {
            let workers = max(1, min(records.count, ProcessInfo.processInfo.activeProcessorCount))
            var intact = [Bool](repeating: false, count: records.count)
            intact.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let output = buffer
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var scratch: [UInt8] = []
                    var index = worker
                    while index < records.count {
                        output[index] = AuditChain.hash(records[index], buffer: &scratch) == records[index].hash
                        index += workers
                    }
                }
            }
            for (record, hashMatches) in zip(records, intact) { feed(record, hashMatches: hashMatches) }
        }

        public mutating func feed(_ record: AuditRecord) {
            feed(record, hashMatches: AuditChain.hash(record, buffer: &buffer) == record.hash)
        }

        private mutating func feed(_ record: AuditRecord, hashMatches: Bool) {
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
            } else if !hashMatches {
                firstBad = (record.sequence, "its content does not match its hash (edited)")
            }
        }
    }
}
