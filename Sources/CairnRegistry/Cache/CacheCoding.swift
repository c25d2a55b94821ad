import Foundation

/// A value a cache can hold: written with `CacheWriter.put`, read back with `CacheReader.get` in the same order.
/// Integers are little-endian, strings and collections are counted, an optional is a byte then its value.
protocol CacheCodable: SendableMetatype {
    func encode(to out: inout CacheWriter)
    init(from reader: inout CacheReader) throws
}

struct CacheWriter: Sendable {
    var bytes: [UInt8] = []

    /// Writes each value in turn.
    mutating func put<each Value: CacheCodable>(_ value: repeat each Value) {
        repeat (each value).encode(to: &self)
    }

    mutating func raw(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }
}

/// Reads what `CacheWriter` wrote, within one value; anything that does not fit throws `Corrupt` (a store then treats
/// the value as absent).
struct CacheReader: Sendable {
    struct Corrupt: Error {}

    let bytes: [UInt8]
    private(set) var offset: Int
    /// Where the value ends.
    let end: Int

    init(bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        (self.bytes, self.offset, self.end) = (bytes, offset, min(end ?? bytes.count, bytes.count))
    }

    /// A value that failed its checksum: reading it throws.
    init(damaged: Void) { (bytes, offset, end) = ([], 1, 0) }

    /// False for a value that failed its checksum.
    var isIntact: Bool { offset <= end }

    /// Reads a value of the type asked for (name it under `try?`, which would otherwise read an optional).
    mutating func get<Value: CacheCodable>(_: Value.Type = Value.self) throws -> Value { try Value(from: &self) }

    /// The next `count` bytes. `count` is compared with what is left, never added to the offset first (a length read
    /// from a damaged value can be near `Int.max`, and the sum would overflow).
    mutating func raw(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0 && count <= end - offset else { throw Corrupt() }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// A count of items that follow: at least one byte each, so never more than the bytes left.
    mutating func count() throws -> Int {
        let count = try get(Int.self)
        guard count >= 0 && count <= end - offset else { throw Corrupt() }
        return count
    }

    /// A byte below `limit` (an enum's case, a flag); throws for any other.
    mutating func tag(_ limit: UInt8) throws -> UInt8 {
        let tag = try get(UInt8.self)
        guard tag < limit else { throw Corrupt() }
        return tag
    }

    /// The whole value: throws unless it was read to its end (a value longer than its codec reads is not the value
    /// written).
    mutating func whole<Value: CacheCodable>(_: Value.Type) throws -> Value {
        let value = try Value(from: &self)
        guard offset == end else { throw Corrupt() }
        return value
    }
}

extension CacheCodable where Self: FixedWidthInteger {
    func encode(to out: inout CacheWriter) { withUnsafeBytes(of: littleEndian) { out.bytes.append(contentsOf: $0) } }

    init(from reader: inout CacheReader) throws {
        self = Self(littleEndian: try reader.raw(MemoryLayout<Self>.size).withUnsafeBytes { $0.loadUnaligned(as: Self.self) })
    }
}

extension Int: CacheCodable {}
extension Int64: CacheCodable {}
extension UInt64: CacheCodable {}
extension UInt32: CacheCodable {}
extension UInt16: CacheCodable {}
extension Int32: CacheCodable {}
extension UInt8: CacheCodable {}

extension Bool: CacheCodable {
    func encode(to out: inout CacheWriter) { out.put(UInt8(self ? 1 : 0)) }
    init(from reader: inout CacheReader) throws { self = try reader.tag(2) == 1 }
}

extension String: CacheCodable {
    func encode(to out: inout CacheWriter) {
        var text = self
        text.withUTF8 { utf8 in
            out.put(utf8.count)
            out.raw(utf8)
        }
    }

    init(from reader: inout CacheReader) throws {
        self = String(decoding: try reader.raw(try reader.count()), as: UTF8.self)
    }
}

extension Optional: CacheCodable where Wrapped: CacheCodable {
    func encode(to out: inout CacheWriter) {
        guard let self else { return out.put(UInt8(0)) }
        out.put(UInt8(1), self)
    }

    init(from reader: inout CacheReader) throws { self = try reader.tag(2) == 1 ? try reader.get(Wrapped.self) : nil }
}

extension Array: CacheCodable where Element: CacheCodable {
    func encode(to out: inout CacheWriter) {
        out.put(count)
        for element in self { element.encode(to: &out) }
    }

    init(from reader: inout CacheReader) throws {
        let count = try reader.count()
        self = []
        reserveCapacity(count)
        for _ in 0..<count { append(try reader.get()) }
    }
}

/// In order, so that equal sets are equal bytes.
extension Set: CacheCodable where Element: CacheCodable & Comparable {
    func encode(to out: inout CacheWriter) { sorted().encode(to: &out) }
    init(from reader: inout CacheReader) throws { self = Set(try reader.get([Element].self)) }
}

/// Values of one type by key, on a `CacheLog`: keys are encoded with a namespace byte first, so several stores can
/// share one file. A value that does not decode is removed and reported absent.
struct CacheStore<Key: CacheCodable & Sendable, Value: CacheCodable>: Sendable {
    let log: CacheLog
    private let namespace: UInt8
    /// How many look-ups found a value.
    let hits = Counter()

    init(log: CacheLog, namespace: Character) {
        (self.log, self.namespace) = (log, namespace.asciiValue!)
    }

    /// Counts every value of this store as used (`CacheLog`'s compaction keeps them), without decoding them.
    func keepAll() { log.keep(namespace: namespace) }

    func key(_ key: Key) -> [UInt8] {
        var writer = CacheWriter()
        writer.put(namespace, key)
        return writer.bytes
    }

    /// Whether there is a value for `key` whose checksum holds (not decoded).
    func contains(_ key: Key) -> Bool { log.value(self.key(key))?.isIntact ?? false }

    /// The value for `key`, nil when there is none; throws when there is one that does not decode.
    func decoded(_ key: Key) throws -> Value? {
        guard var reader = log.value(self.key(key)) else { return nil }
        return try reader.whole(Value.self)
    }

    subscript(_ key: Key) -> Value? {
        get { decode(log.value(self.key(key)), key) }
        nonmutating set {
            var writer = CacheWriter()
            newValue.map { writer.put($0) }
            log.put(self.key(key), newValue.map { _ in writer.bytes })
        }
    }

    /// The value `reader` holds for `key`; nil when there is none, or it does not decode (then it is removed).
    private func decode(_ reader: CacheReader?, _ key: Key) -> Value? {
        guard var reader else { return nil }
        guard let value = try? reader.whole(Value.self) else {
            log.put(self.key(key), nil)
            return nil
        }
        hits.add()
        return value
    }

    /// The values for `keys`, in order (as the subscript reads them): looked up together, decoded on every core when
    /// there are many.
    func values(_ keys: [Key]) -> [Value?] {
        guard keys.count > 256 else { return keys.map { self[$0] } }
        let readers = keys.map { log.value(key($0)) }
        var values = [Value?](repeating: nil, count: keys.count)
        let chunks = ProcessInfo.processInfo.activeProcessorCount * 2
        values.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let values = buffer
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                for index in stride(from: chunk, to: readers.count, by: chunks) { values[index] = decode(readers[index], keys[index]) }
            }
        }
        return values
    }

    /// Every value of this store, by encoded key (the namespace byte dropped), undecoded.
    func all(_ body: (_ key: ArraySlice<UInt8>, _ value: inout CacheReader) -> Void) {
        log.forEach(namespace: namespace) { key, reader in body(key.dropFirst(), &reader) }
    }
}
