internal import CLibGit2

/// A git object id (SHA-1), hashable and cheap to copy.
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible {
    private let high: UInt64
    private let middle: UInt64
    private let low: UInt32

    init(_ oid: git_oid) {
        var oid = oid
        self = withUnsafeBytes(of: &oid.id) { ObjectID(bytes: ArraySlice($0))! }
    }

    /// Reads the 20 raw bytes of an id.
    public init?(bytes: ArraySlice<UInt8>) {
        guard bytes.count == 20 else { return nil }
        let start = bytes.startIndex
        var high: UInt64 = 0, middle: UInt64 = 0, low: UInt32 = 0
        for index in 0..<8 { high = high << 8 | UInt64(bytes[start + index]) }
        for index in 8..<16 { middle = middle << 8 | UInt64(bytes[start + index]) }
        for index in 16..<20 { low = low << 8 | UInt32(bytes[start + index]) }
        self.high = high
        self.middle = middle
        self.low = low
    }

    /// All zeros: how git's hooks say "no object" (a reference created or deleted).
    public static let zero = ObjectID(bytes: ArraySlice(repeating: 0, count: 20))!

    /// The 20 raw bytes of the id.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(20)
        for index in 0..<8 { out.append(UInt8(truncatingIfNeeded: high >> UInt64(56 - index * 8))) }
        for index in 0..<8 { out.append(UInt8(truncatingIfNeeded: middle >> UInt64(56 - index * 8))) }
        for index in 0..<4 { out.append(UInt8(truncatingIfNeeded: low >> UInt32(24 - index * 8))) }
        return out
    }

    /// Parses 40 hexadecimal digits.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 40 else { return nil }
        var values = [UInt8]()
        values.reserveCapacity(20)
        for index in stride(from: 0, to: 40, by: 2) {
            guard let upper = Self.nibble(digits[index]), let lower = Self.nibble(digits[index + 1]) else { return nil }
            values.append(upper << 4 | lower)
        }
        self.init(bytes: values[...])!
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    var raw: git_oid {
        var oid = git_oid()
        let bytes = self.bytes
        withUnsafeMutableBytes(of: &oid.id) { raw in
            for index in 0..<20 { raw[index] = bytes[index] }
        }
        return oid
    }

    /// The 40-digit lowercase hexadecimal form.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(40)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The first seven digits, as `git log --oneline` shows them.
    public var short: String { String(hex.prefix(7)) }

    public var description: String { hex }

    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool {
        (lhs.high, lhs.middle, lhs.low) < (rhs.high, rhs.middle, rhs.low)
    }
}
