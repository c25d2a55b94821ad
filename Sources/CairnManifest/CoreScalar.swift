import CairnModel

/// YAML 1.2 core-schema resolution of a plain scalar (`yes` stays a string, `1.10` is a number).
///
/// JSON has no NaN or infinity, and cairn stores what it reads as JSON, so `.nan`, `.inf` and numbers beyond a
/// double's range (`1e400`) stay strings: where the schema wants a number, validation refuses them with their
/// line and column instead of letting them pass every bound (NaN compares false with everything).
enum CoreScalar {
    static func resolve(_ text: String) -> JSONValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        let bytes = Array(text.utf8)
        if isDecimalInteger(bytes) {
            if let value = Int(text) { return .int(value) }
            return finite(Double(text), text)
        }
        // `0x1F` and `0o17`: digits only (Int(_:radix:) would also take a sign, as in `0x-1`).
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0") {
            let digits = bytes[2...]
            let radix = bytes[1] == UInt8(ascii: "x") ? 16 : bytes[1] == UInt8(ascii: "o") ? 8 : 0
            if radix > 0, digits.allSatisfy({ isDigit($0, radix: radix) }),
               let value = Int(String(decoding: digits, as: UTF8.self), radix: radix) {
                return .int(value)
            }
        }
        if isDecimalFloat(bytes) { return finite(Double(text), text) }
        return .string(text)
    }

    private static func finite(_ value: Double?, _ text: String) -> JSONValue {
        guard let value, value.isFinite else { return .string(text) }
        return .number(value)
    }

    private static func isDigit(_ byte: UInt8, radix: Int) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "7"): true
        case UInt8(ascii: "8"), UInt8(ascii: "9"): radix > 8
        case UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): radix == 16
        default: false
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func isDecimalInteger(_ bytes: [UInt8]) -> Bool {
        var index = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
        guard index < bytes.count else { return false }
        return bytes[index...].allSatisfy(isDigit)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    private static func isDecimalFloat(_ bytes: [UInt8]) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
        let integral = digits()
        var fraction = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            fraction = digits()
        }
        guard integral > 0 || fraction > 0 else { return false }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == bytes.count
    }
}
