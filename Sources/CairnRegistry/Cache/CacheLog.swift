import Foundation
import Git2

/// One cache file under `.git/cairn/`: a header, then keyed records appended by the runs that computed them. A cache is
/// only ever a shortcut, so it may be wrong only by being absent:
/// - the header holds the format, a fingerprint of what the values were computed with (the schemas, an environment's
///   settings) and a random generation; any other format or fingerprint makes the file empty;
/// - a record is `[length u32][key length u16][flags u8][0][key sum u64][value sum u64][key][value]`; a length, flag or
///   key that does not check ends the read; a value is checked when it is read, and one that fails reads as damaged;
/// - values are decoded when asked for, from their offset in the file; a later record for a key replaces an earlier
///   one, and a removal record drops it;
/// - a save writes the file whole, with only the records this run used, when it is damaged or when the records not
///   used are three quarters of a file over 256 KiB; otherwise it appends this run's records under an exclusive lock.
/// Failures to read or write are ignored: a cache that cannot be written only costs the next run time.
final class CacheLog: @unchecked Sendable {
    let url: URL?
    private let format: String
    private let fingerprint: String
    private let lock = NSLock()
    private var loaded = false
    private var bytes: [UInt8] = []
    /// The file's header as this run last read or wrote it, empty when there was no usable file.
    private var header: [UInt8] = []
    /// The file's size as this run last read or wrote it.
    private var size = 0
    /// Where each key's latest record is in `bytes`, by the key's hash (a lookup compares the key itself).
    private var index: [UInt64: Slot] = [:]
    /// What this run added, in order (nil: removed); the first `saved` of them are in the file.
    private var added: [(key: [UInt8], value: [UInt8]?)] = []
    private var addedIndex: [[UInt8]: Int] = [:]
    private var saved = 0
    /// The keys this run asked for, and the namespaces it kept whole (`keep`).
    private var used = Set<UInt64>()
    private var kept = Set<UInt8>()
    private var damaged = false

    static let magic = Array("CAIRNLOG".utf8)
    static let largestRecord = 1 << 30

    /// The cache file at `url` (nil: in memory only), read on first use.
    init(url: URL?, format: String, fingerprint: String = "") {
        (self.url, self.format, self.fingerprint, loaded) = (url, format, fingerprint, url == nil)
    }

    /// The value recorded for `key`, positioned for decoding, or nil.
    func value(_ key: [UInt8]) -> CacheReader? {
        locked {
            let hash = Self.hash(key[...])
            used.insert(hash)
            if let slot = addedIndex[key] { return added[slot].value.map { CacheReader(bytes: $0) } }
            guard let slot = index[hash], let record = record(at: slot.offset), record.key.elementsEqual(key) else { return nil }
            return reader(record)
        }
    }

    /// Records `value` for `key` (nil: drops it), replacing what was there.
    func put(_ key: [UInt8], _ value: [UInt8]?) {
        precondition(key.count < 1 << 16, "cache keys are short")
        locked {
            used.insert(Self.hash(key[...]))
            if let slot = addedIndex[key], slot >= saved {
                added[slot].value = value
            } else {
                addedIndex[key] = added.count
                added.append((key, value))
            }
        }
    }

    /// Every live key whose first byte is `namespace`, with its value; the namespace counts as used.
    func forEach(namespace: UInt8, _ body: (ArraySlice<UInt8>, inout CacheReader) -> Void) {
        let visits: [(ArraySlice<UInt8>, CacheReader)] = locked {
            var visits: [(ArraySlice<UInt8>, CacheReader)] = []
            kept.insert(namespace)
            for slot in index.values where slot.namespace == namespace {
                guard let record = record(at: slot.offset), addedIndex.isEmpty || addedIndex[Array(record.key)] == nil else { continue }
                visits.append((record.key, reader(record)))
            }
            for (slot, (key, value)) in added.enumerated() where key.first == namespace && addedIndex[key] == slot {
                if let value { visits.append((key[...], CacheReader(bytes: value))) }
            }
            return visits
        }
        for (key, reader) in visits {
            var reader = reader
            body(key, &reader)
        }
    }

    /// Counts every record whose key's first byte is `namespace` (every record, when nil) as used.
    func keep(namespace: UInt8? = nil) {
        locked { kept.formUnion(namespace.map { [$0] } ?? Array(0...255)) }
    }

    /// Forgets every record: the next save writes only what is added from now on.
    func removeAll() {
        locked {
            (index, used, kept, added, addedIndex, saved, damaged) = ([:], [], [], [], [:], 0, true)
        }
    }

    /// Whether this run has read the file (or asked anything of it, which reads it).
    var wasRead: Bool { lock.withLock { loaded } }

    /// Saves what this run added (see the type's compaction rule). A run that never asked anything of the file
    /// leaves it as it is, unread.
    func save() {
        guard wasRead else { return }
        locked {
            guard let url else { return }
            func isLive(_ hash: UInt64, _ slot: Slot) -> Bool { kept.contains(slot.namespace) || used.contains(hash) }
            // Weighed at the run's first save (later ones append: what this run uses only grows).
            let compact = damaged || header.isEmpty
                || (size == bytes.count && bytes.count > 256 << 10 && index.reduce(0) { isLive($1.key, $1.value) ? $0 + $1.value.length : $0 } < bytes.count / 4)
            guard compact || saved < added.count else { return }
            if !compact {
                var fresh: [UInt8] = []
                for (key, value) in added[saved...] { Self.appendRecord(key: key, value: value, to: &fresh) }
                if append(fresh, to: url) {
                    (size, saved) = (size + fresh.count, added.count)
                    return
                }
            }
            let head = freshHeader
            var whole = head
            // In the order they were written: a file damaged later loses its newest records, never older ones alone.
            for slot in index.filter({ isLive($0.key, $0.value) }).values.sorted(by: { $0.offset < $1.offset }) {
                guard let record = record(at: slot.offset), addedIndex[Array(record.key)] == nil, intact(record) else { continue }
                whole += bytes[slot.offset..<record.value.upperBound]
            }
            for (slot, (key, value)) in added.enumerated() where value != nil && addedIndex[key] == slot {
                Self.appendRecord(key: key, value: value, to: &whole)
            }
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard (try? Data(whole).write(to: url, options: .atomic)) != nil else { return }
            (header, size, saved, damaged) = (head, whole.count, added.count, false)
        }
    }

    // MARK: - Reading the file

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        if !loaded { (loaded, damaged) = (true, !load()) }
        return body()
    }

    /// Reads the file; false when what it read was damaged (or not a file of this format and fingerprint).
    private func load() -> Bool {
        guard let url, let file = FileBytes.read(url.path, limit: Self.largestRecord - 1) else { return true }
        (bytes, size) = (file, file.count)
        var head = bytes.starts(with: Self.magic) ? record(at: Self.magic.count).map(reader) : nil
        guard var offset = head?.end, (try? head?.get(String.self)) == format, (try? head?.get(String.self)) == fingerprint else { return false }
        header = Array(bytes[..<offset])
        // Records are a few hundred bytes: room for them at once, rather than growing the table as they are read.
        index.reserveCapacity(bytes.count / 128)
        while offset < bytes.count {
            guard let record = record(at: offset) else { return false }
            let end = record.value.upperBound
            index[Self.hash(record.key)] = record.removed ? nil : Slot(offset: offset, length: end - offset, namespace: record.key.first ?? 0)
            offset = end
        }
        return true
    }

    /// Where a record starts, its whole length, and its key's first byte (`CacheStore`'s namespace).
    private struct Slot {
        var offset, length: Int
        var namespace: UInt8
    }

    private typealias Record = (key: ArraySlice<UInt8>, value: Range<Int>, removed: Bool, sum: UInt64)

    /// The record starting at `start` when it fits in the file and its lengths, flags and key check (its value is
    /// checked when it is read: a damaged one reads as damaged, not absent).
    private func record(at start: Int) -> Record? {
        guard bytes.count - start >= 24 else { return nil }
        let length = Int(Self.load(UInt32.self, bytes, start)), keyLength = Int(Self.load(UInt16.self, bytes, start + 4)), flags = bytes[start + 6]
        guard keyLength <= length, length <= bytes.count - start - 24, flags <= 1 else { return nil }
        let key = start + 24..<start + 24 + keyLength
        let sum = bytes.withUnsafeBytes { Self.checksum(UnsafeRawBufferPointer(rebasing: $0[key]), seed: Self.seed(length, keyLength, flags)) }
        guard sum == Self.load(UInt64.self, bytes, start + 8) else { return nil }
        return (bytes[key], key.upperBound..<start + 24 + length, flags == 1, Self.load(UInt64.self, bytes, start + 16))
    }

    private func intact(_ record: Record) -> Bool {
        bytes.withUnsafeBytes { Self.checksum(UnsafeRawBufferPointer(rebasing: $0[record.value]), seed: 2) } == record.sum
    }

    /// A reader of the record's value; one that throws when the value does not check.
    private func reader(_ record: Record) -> CacheReader {
        intact(record) ? CacheReader(bytes: bytes, offset: record.value.lowerBound, end: record.value.upperBound) : CacheReader(damaged: ())
    }

    private func append(_ records: [UInt8], to url: URL) -> Bool {
        let descriptor = open(url.path, O_RDWR | O_APPEND)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { return false }
        defer { flock(descriptor, LOCK_UN) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, Int(info.st_size) == size else { return false }
        var start = [UInt8](repeating: 0, count: header.count)
        guard start.withUnsafeMutableBytes({ pread(descriptor, $0.baseAddress, $0.count, 0) }) == header.count, start == header else { return false }
        return records.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == records.count
    }

    // MARK: - Format

    /// A fresh header: the magic, then a record (empty key) of the format, the fingerprint and a random generation.
    var freshHeader: [UInt8] {
        var body = CacheWriter(), out = Self.magic
        body.put(format, fingerprint, UInt64.random(in: 0...UInt64.max))
        Self.appendRecord(key: [], value: body.bytes, to: &out)
        return out
    }

    static func appendRecord(key: [UInt8], value: [UInt8]?, to out: inout [UInt8]) {
        let flags: UInt8 = value == nil ? 1 : 0, value = value ?? [], length = key.count + value.count
        guard length < largestRecord else { return }
        var writer = CacheWriter()
        writer.put(UInt32(length), UInt16(key.count), flags, UInt8(0))
        writer.put(key.withUnsafeBytes { checksum($0, seed: seed(length, key.count, flags)) }, value.withUnsafeBytes { checksum($0, seed: 2) })
        out += writer.bytes + key + value
    }

    static func seed(_ length: Int, _ keyLength: Int, _ flags: UInt8) -> UInt64 {
        UInt64(length) << 24 ^ UInt64(keyLength) << 8 ^ UInt64(flags)
    }

    static func load<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], _ offset: Int) -> T {
        bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    static func hash(_ key: ArraySlice<UInt8>) -> UInt64 { key.withUnsafeBytes { checksum($0, seed: 1) } }

    /// A 64-bit checksum, eight bytes at a time. Each step (xor a word, multiply by an odd constant, xor-shift) is a
    /// bijection of the state, so two inputs of one length that differ in one word, hence any single flipped bit,
    /// always end in different sums.
    static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var state = seed ^ 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count) &* 0xFF51_AFD7_ED55_8CCD
        func mix(_ word: UInt64) {
            state = (state ^ word) &* 0xC4CE_B9FE_1A85_EC53
            state ^= state >> 29
        }
        var offset = 0
        while bytes.count - offset >= 8 {
            mix(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            offset += 8
        }
        var tail: UInt64 = 0
        for (shift, byte) in bytes[offset...].enumerated() { tail |= UInt64(byte) << (8 * UInt64(shift)) }
        mix(tail)
        return state
    }
}
