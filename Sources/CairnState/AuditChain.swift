import CairnModel
import Crypto
import Foundation

/// The SHA-256 chain over audit records: each record's hash covers its own fields and the previous hash.
public enum AuditChain {
    /// The `previousHash` of the first record.
    public static let genesis = String(repeating: "0", count: 64)

    /// The audit table's columns, in the order every store reads them by position.
    public static let columns = "sequence, time, actor, action, environment, artifact, digest, source_commit, tag, plan_summary, compliance, previous_hash, hash"

    /// Where each hashed text field is in `columns` (sequence and time are 0 and 1, the record's own hash 12).
    public static func column(of field: AuditRecord.TextField) -> Int {
        switch field {
        case .actor: 2
        case .action: 3
        case .environment: 4
        case .artifact: 5
        case .digest: 6
        case .commit: 7
        case .tag: 8
        case .planSummary: 9
        case .compliance: 10
        case .previousHash: 11
        }
    }

    public static func hash(_ record: AuditRecord) -> String {
        var body: [UInt8] = []
        record.appendCanonicalBody(to: &body)
        return SHA256.hash(data: body).hexString
    }

    /// Numbers a draft, links it to the previous record and computes its hash.
    public static func seal(_ draft: AuditDraft, sequence: Int64, previousHash: String) -> AuditRecord {
        var record = AuditRecord(sequence: sequence, entry: draft, previousHash: previousHash, hash: "")
        record.hash = hash(record)
        return record
    }

    /// Records as stored, ready to check without building an `AuditRecord` each: canonical bodies and the stored
    /// hashes, back to back. A store fills one from its columns; `append(_:)` fills one from records.
    public struct Batch: Sendable {
        var bodies: [UInt8] = []
        var bodyEnds: [Int] = []
        var hashes: [UInt8] = []
        var hashEnds: [Int] = []
        var previous: [UInt8] = []
        var previousEnds: [Int] = []
        var sequences: [Int64] = []

        public init() {}

        public var count: Int { sequences.count }

        /// Adds one stored record: `body` appends its canonical body, `hash` and `previousHash` its stored hashes
        /// (UTF-8 hex).
        public mutating func append(sequence: Int64, body: (inout [UInt8]) -> Void, hash: (inout [UInt8]) -> Void,
                                    previousHash: (inout [UInt8]) -> Void) {
            sequences.append(sequence)
            body(&bodies)
            bodyEnds.append(bodies.count)
            hash(&hashes)
            hashEnds.append(hashes.count)
            previousHash(&previous)
            previousEnds.append(previous.count)
        }

        public mutating func append(_ record: AuditRecord) {
            append(sequence: record.sequence, body: record.appendCanonicalBody(to:), hash: { $0 += record.hash.utf8 },
                   previousHash: { $0 += record.previousHash.utf8 })
        }

        public mutating func removeAll() {
            bodies.removeAll(keepingCapacity: true)
            bodyEnds.removeAll(keepingCapacity: true)
            hashes.removeAll(keepingCapacity: true)
            hashEnds.removeAll(keepingCapacity: true)
            previous.removeAll(keepingCapacity: true)
            previousEnds.removeAll(keepingCapacity: true)
            sequences.removeAll(keepingCapacity: true)
        }

        func slice(_ arena: [UInt8], _ ends: [Int], _ index: Int) -> ArraySlice<UInt8> {
            arena[(index == 0 ? 0 : ends[index - 1])..<ends[index]]
        }
    }

    /// Which records of `batch` hash to their stored hash; each hash depends only on its own record (which stores
    /// the previous hash), so this can run on several cores.
    public static func intact(_ batch: Batch, workers: Int = ProcessInfo.processInfo.activeProcessorCount) -> [Bool] {
        let workers = max(1, min(batch.count, workers))
        var intact = [Bool](repeating: false, count: batch.count)
        intact.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let output = buffer
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var index = worker
                while index < batch.count {
                    let digest = SHA256.hash(data: batch.slice(batch.bodies, batch.bodyEnds, index))
                    output[index] = matches(digest, hex: batch.slice(batch.hashes, batch.hashEnds, index))
                    index += workers
                }
            }
        }
        return intact
    }

    /// Whether `hex` is the lowercase hexadecimal of `digest`, without building a string.
    static func matches(_ digest: SHA256.Digest, hex: ArraySlice<UInt8>) -> Bool {
        guard hex.count == 2 * SHA256.byteCount else { return false }
        let digits: StaticString = "0123456789abcdef"
        let table = digits.utf8Start
        return digest.withUnsafeBytes { bytes in
            var position = hex.startIndex
            for byte in bytes {
                guard hex[position] == table[Int(byte >> 4)], hex[position + 1] == table[Int(byte & 0x0f)] else { return false }
                position += 2
            }
            return true
        }
    }

    /// Checks records given in sequence order: numbering without gaps, each linked to the one before, each hash intact.
    ///
    /// A long chain can be checked in segments on several cores: each later segment starts with `segment()`, which
    /// leaves its first record's numbering and link to `joined`, the one step that sees where the segment before ended.
    public struct Verifier: Sendable {
        private var expectedSequence: Int64?
        private var previousHash: [UInt8]?
        /// A segment's first record (sequence and stored previous hash), not checked until `joined`.
        private var first: (sequence: Int64, previousHash: [UInt8])?
        public private(set) var count = 0
        public private(set) var lastSequence: Int64 = 0
        public private(set) var firstBad: (sequence: Int64, reason: String)?

        /// Verifies a chain from its first record.
        public init() {
            expectedSequence = 1
            previousHash = Array(AuditChain.genesis.utf8)
        }

        /// Verifies a later part of a chain; its start is checked by `joined`.
        public static func segment() -> Verifier {
            var verifier = Verifier()
            verifier.expectedSequence = nil
            verifier.previousHash = nil
            return verifier
        }

        public var headHash: String { String(decoding: previousHash ?? [], as: UTF8.self) }

        /// Segments in chain order (the first made with `init()`), as one verification of the whole chain.
        public static func joined(_ segments: [Verifier]) -> Verifier {
            var whole = segments.first ?? Verifier()
            for segment in segments.dropFirst() where segment.count > 0 {
                if let first = segment.first {
                    whole.check(sequence: first.sequence, linked: first.previousHash == whole.previousHash, intact: true)
                }
                if whole.firstBad == nil { whole.firstBad = segment.firstBad }
                whole.count += segment.count
                whole.lastSequence = segment.lastSequence
                whole.expectedSequence = segment.expectedSequence
                whole.previousHash = segment.previousHash
            }
            return whole
        }

        public mutating func feed(batch records: [AuditRecord]) {
            var batch = Batch()
            for record in records { batch.append(record) }
            walk(batch, intact: AuditChain.intact(batch))
        }

        /// Checks numbering and links in order, given which records hash to their stored hash (`AuditChain.intact`).
        public mutating func walk(_ batch: Batch, intact: [Bool]) {
            guard batch.count > 0 else { return }
            for index in 0..<batch.count {
                let sequence = batch.sequences[index]
                if index == 0, expectedSequence == nil {
                    first = (sequence, Array(batch.slice(batch.previous, batch.previousEnds, 0)))
                    check(sequence: sequence, linked: true, intact: intact[0])
                } else if firstBad == nil {
                    let linked = index == 0
                        ? batch.slice(batch.previous, batch.previousEnds, 0).elementsEqual(previousHash ?? [])
                        : Self.equal(batch.slice(batch.previous, batch.previousEnds, index), batch.slice(batch.hashes, batch.hashEnds, index - 1))
                    check(sequence: sequence, linked: linked, intact: intact[index])
                }
                expectedSequence = sequence + 1
            }
            count += batch.count
            lastSequence = batch.sequences[batch.count - 1]
            previousHash = Array(batch.slice(batch.hashes, batch.hashEnds, batch.count - 1))
        }

        /// Records the first problem of the record numbered `sequence` (when it is the first problem at all).
        private mutating func check(sequence: Int64, linked: Bool, intact: Bool) {
            guard firstBad == nil else { return }
            if let expected = expectedSequence, sequence != expected {
                firstBad = (sequence, sequence > expected
                    ? "records \(expected)…\(sequence - 1) are missing (deleted)"
                    : "sequence \(sequence) is out of order")
            } else if !linked {
                firstBad = (sequence, "does not link to the record before it (reordered or replaced)")
            } else if !intact {
                firstBad = (sequence, "its content does not match its hash (edited)")
            }
        }

        private static func equal(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Bool {
            lhs.count == rhs.count && (lhs.isEmpty || lhs.withUnsafeBytes { left in rhs.withUnsafeBytes { right in memcmp(left.baseAddress!, right.baseAddress!, lhs.count) == 0 } })
        }
    }
}
