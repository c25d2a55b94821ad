/// Reads SSH's wire encoding (RFC 4251 §5): big-endian `uint32`, length-prefixed `string`, `mpint`. Every length is
/// checked against what is left, so a forged length is an error, never a read past the end or a huge allocation.
struct SSHWireReader {
    private let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        offset = 0
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func uint32() throws(SSHFormatError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw SSHFormatError("truncated") }
        let value = bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        offset += 4
        return value
    }

    mutating func string() throws(SSHFormatError) -> [UInt8] {
        let length = Int(try uint32())
        guard length <= bytes.count - offset else { throw SSHFormatError("a length runs past the end") }
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }

    mutating func text() throws(SSHFormatError) -> String {
        String(decoding: try string(), as: UTF8.self)
    }

    /// A non-negative `mpint` as its magnitude, without the sign byte SSH puts before a high bit.
    mutating func unsignedInteger() throws(SSHFormatError) -> [UInt8] {
        let raw = try string()
        guard raw.first.map({ $0 & 0x80 == 0 }) ?? true else { throw SSHFormatError("a negative integer") }
        return Array(raw.drop { $0 == 0 })
    }

    mutating func raw(_ count: Int) throws(SSHFormatError) -> [UInt8] {
        guard bytes.count - offset >= count else { throw SSHFormatError("truncated") }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }
}

/// Writes SSH's wire encoding.
struct SSHWireWriter {
    private(set) var bytes: [UInt8] = []

    mutating func uint32(_ value: UInt32) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    mutating func string(_ value: some Collection<UInt8>) {
        uint32(UInt32(value.count))
        bytes += value
    }

    mutating func raw(_ value: some Collection<UInt8>) { bytes += value }
}

/// Bytes that are not what SSH's formats say they must be.
public struct SSHFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
