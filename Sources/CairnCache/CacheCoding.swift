import Foundation

/// The encoding of cache values: little-endian integers, length-prefixed UTF-8 strings, raw bytes. Each store writes
/// its own values with these (its codec sits beside it) and reads them back with `CacheReader`.
public struct CacheWriter: Sendable {
    public internal(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func int(_ value: Int) { uint64(UInt64(bitPattern: Int64(value))) }

    public mutating func uint64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func uint32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func byte(_ value: UInt8) { bytes.append(value) }

    public mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            int(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func raw(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }
}

/// Reads what `CacheWriter` wrote, within one value; anything that does not fit throws `Corrupt` (a store then treats
/// the value as absent).
public struct CacheReader: Sendable {
    public struct Corrupt: Error {
        public init() {}
    }
    let bytes: [UInt8]
    public private(set) var offset: Int
    /// Where the value ends.
    public let end: Int

    public init(bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = min(end ?? bytes.count, bytes.count)
    }

    public var isAtEnd: Bool { offset >= end }

    /// Whether `count` more bytes are there, without computing `offset + count` (a length read from a damaged value
    /// can be near `Int.max`, and the sum would overflow).
    func fits(_ count: Int) -> Bool { count >= 0 && count <= end - offset }

    public mutating func uint64() throws -> UInt64 {
        guard fits(8) else { throw Corrupt() }
        defer { offset += 8 }
        return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    }

    public mutating func int() throws -> Int { Int(Int64(bitPattern: try uint64())) }

    public mutating func byte() throws -> UInt8 {
        guard fits(1) else { throw Corrupt() }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A count of items that follow: at least one byte each, so never more than the bytes left.
    public mutating func count() throws -> Int {
        let count = try int()
        guard fits(count) else { throw Corrupt() }
        return count
    }

    public mutating func string() throws -> String {
        let count = try count()
        defer { offset += count }
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[offset..<offset + count]), as: UTF8.self) }
    }

    public mutating func raw(_ count: Int) throws -> ArraySlice<UInt8> {
        guard fits(count) else { throw Corrupt() }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    public mutating func skip(_ count: Int) throws {
        guard fits(count) else { throw Corrupt() }
        offset += count
    }

    /// Whether the bytes at the reading position are `prefix`.
    public func starts(with prefix: [UInt8]) -> Bool {
        fits(prefix.count) && bytes[offset..<offset + prefix.count].elementsEqual(prefix)
    }

    public mutating func skipString() throws { try skip(try count()) }

    /// Throws unless the value was read to its end (a value longer than its codec reads is not the value written).
    public func finish() throws {
        guard offset == end else { throw Corrupt() }
    }
}

/// Values of one type by key, on a `CacheLog`: keys are encoded with a namespace byte first, so several stores can
/// share one file. A value that does not decode is removed and reported absent.
public struct CacheStore<Key, Value>: Sendable {
    public let log: CacheLog
    private let namespace: UInt8
    private let encodeKey: @Sendable (Key, inout CacheWriter) -> Void
    private let encodeValue: @Sendable (Value, inout CacheWriter) -> Void
    private let decodeValue: @Sendable (inout CacheReader) throws -> Value

    public init(log: CacheLog, namespace: UInt8, key: @escaping @Sendable (Key, inout CacheWriter) -> Void,
                encode: @escaping @Sendable (Value, inout CacheWriter) -> Void, decode: @escaping @Sendable (inout CacheReader) throws -> Value) {
        self.log = log
        self.namespace = namespace
        encodeKey = key
        encodeValue = encode
        decodeValue = decode
    }

    /// Counts every value of this store as used (`CacheLog`'s compaction keeps them), without decoding them.
    public func keepAll() { log.keep(namespace: namespace) }

    public func key(_ key: Key) -> [UInt8] {
        var writer = CacheWriter()
        writer.byte(namespace)
        encodeKey(key, &writer)
        return writer.bytes
    }

    /// The value for `key`, nil when there is none; throws when there is one that does not decode.
    public func decoded(_ key: Key) throws -> Value? {
        guard var reader = log.value(self.key(key)) else { return nil }
        let value = try decodeValue(&reader)
        try reader.finish()
        return value
    }

    /// Each value's raw bytes, by encoded key (the namespace byte dropped), undecoded.
    public func raw(_ body: (_ key: ArraySlice<UInt8>, _ value: CacheReader) -> Void) {
        log.forEach(namespace: namespace) { key, reader in body(key.dropFirst(), reader) }
    }

    public subscript(_ key: Key) -> Value? {
        get {
            let encoded = self.key(key)
            guard var reader = log.value(encoded) else { return nil }
            guard let value = try? decodeValue(&reader), (try? reader.finish()) != nil else {
                log.remove(encoded)
                return nil
            }
            return value
        }
        nonmutating set {
            guard let newValue else { return log.remove(self.key(key)) }
            var writer = CacheWriter()
            encodeValue(newValue, &writer)
            log.put(self.key(key), writer.bytes)
        }
    }

    /// The values for `keys`, in order, nil where there is none or it does not decode (then it is removed): looked
    /// up together, decoded on every core when there are many.
    public func values(_ keys: [Key]) -> [Value?] {
        let readers = log.values(keys.map(key))
        var values = [Value?](repeating: nil, count: keys.count)
        var failed = [Bool](repeating: false, count: keys.count)
        let decode = decodeValue
        let chunks = keys.count > 256 ? ProcessInfo.processInfo.activeProcessorCount * 2 : 1
        values.withUnsafeMutableBufferPointer { values in
            failed.withUnsafeMutableBufferPointer { failed in
                nonisolated(unsafe) let (values, failed) = (values, failed)
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    for index in stride(from: chunk, to: readers.count, by: chunks) {
                        guard var reader = readers[index] else { continue }
                        let value = try? decode(&reader)
                        if value == nil || (try? reader.finish()) == nil { failed[index] = true } else { values[index] = value }
                    }
                }
            }
        }
        for index in failed.indices where failed[index] { log.remove(key(keys[index])) }
        return values
    }

    /// Every value of this store, by encoded key (the namespace byte dropped); nil for a value that does not decode.
    public func all(_ body: (_ key: ArraySlice<UInt8>, _ value: Value?) -> Void) {
        log.forEach(namespace: namespace) { key, reader in
            let value = try? decodeValue(&reader)
            body(key.dropFirst(), (try? reader.finish()) == nil ? nil : value)
        }
    }
}
