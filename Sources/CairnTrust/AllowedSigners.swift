import Foundation

/// Who may sign, in git's `gpg.ssh.allowedSignersFile` format (ssh-keygen(1), "ALLOWED SIGNERS"): one key a line,
/// `PRINCIPALS [OPTIONS] KEYTYPE BASE64 [COMMENT]`, where principals are comma-separated patterns (`*`, `?`, and `!`
/// to exclude) and options are `namespaces="git,..."`, `valid-after="YYYYMMDD[HHMM[SS]][Z]"`, `valid-before=...` and
/// `cert-authority`. Times without `Z` are local time, as ssh-keygen reads them.
///
/// Written by hand: no listed package reads this format. Parsing is one pass over each line.
public struct AllowedSigners: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var principals: String
        public var key: SSHPublicKey
        /// nil: any namespace.
        public var namespaces: String?
        public var validAfter: Int64?
        public var validBefore: Int64?
        /// A certificate authority's key: it vouches for certificates, never signs itself (cairn verifies plain keys).
        public var isCertificateAuthority: Bool
        public var line: Int
    }

    /// A line that is not in the format, at `line`:`column` (1-based).
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public let line: Int
        public let column: Int
        public let message: String
        public var description: String { "\(line):\(column): \(message)" }
    }

    public let entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// Reads the whole file; the first line that is not in the format is the error.
    public init(parsing text: String) throws(ParseError) {
        var entries: [Entry] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let entry = try Self.entry(Array(line.utf8), line: index + 1) { entries.append(entry) }
        }
        self.entries = entries
    }

    /// Why a signature's key is not allowed to sign as `principal`.
    public enum Refusal: Sendable, Hashable {
        case unknownKey
        /// The key is allowed for other principals (its lines' patterns).
        case principalMismatch(allowed: [String])
        case wrongNamespace(allowed: [String])
        case notYetValid(from: Int64)
        case expired(at: Int64)
    }

    /// The line that allows `key` to sign as `principal` in `namespace` at `time`, or why none does (the check that
    /// failed furthest along: key, then principal, then namespace, then time).
    public func authorize(_ key: SSHPublicKey, as principal: String, namespace: String, at time: Int64) -> Result<Entry, RefusalError> {
        let forKey = entries.filter { $0.key == key && !$0.isCertificateAuthority }
        guard !forKey.isEmpty else { return .failure(RefusalError(.unknownKey)) }
        let forPrincipal = forKey.filter { Self.matches(principal, patterns: $0.principals) }
        guard !forPrincipal.isEmpty else { return .failure(RefusalError(.principalMismatch(allowed: forKey.map(\.principals)))) }
        let forNamespace = forPrincipal.filter { $0.namespaces.map { Self.matches(namespace, patterns: $0) } ?? true }
        guard !forNamespace.isEmpty else { return .failure(RefusalError(.wrongNamespace(allowed: forPrincipal.compactMap(\.namespaces)))) }
        if let entry = forNamespace.first(where: { ($0.validAfter.map { time >= $0 } ?? true) && ($0.validBefore.map { time < $0 } ?? true) }) {
            return .success(entry)
        }
        if let early = forNamespace.compactMap(\.validAfter).filter({ time < $0 }).min() { return .failure(RefusalError(.notYetValid(from: early))) }
        return .failure(RefusalError(.expired(at: forNamespace.compactMap(\.validBefore).max() ?? time)))
    }

    /// A `Refusal` thrown or returned as an error.
    public struct RefusalError: Error, Sendable, Hashable {
        public let refusal: Refusal
        init(_ refusal: Refusal) { self.refusal = refusal }
    }

    // MARK: - Patterns

    /// OpenSSH's pattern lists: a text matches when some pattern matches it and no `!` pattern does.
    public static func matches(_ text: String, patterns list: String) -> Bool {
        let text = Array(text.utf8)
        var matched = false
        for pattern in list.split(separator: ",", omittingEmptySubsequences: true) {
            if pattern.first == "!" {
                if wildcard(Array(pattern.utf8.dropFirst()), text) { return false }
            } else if wildcard(Array(pattern.utf8), text) {
                matched = true
            }
        }
        return matched
    }

    /// `*` (any run) and `?` (one byte), greedy with one backtrack point: time proportional to the product of the
    /// lengths at worst, never exponential.
    static func wildcard(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        var (p, t) = (0, 0)
        var star: (pattern: Int, text: Int)?
        while t < text.count {
            if p < pattern.count, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p += 1
                t += 1
            } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
                star = (p, t)
                p += 1
            } else if let last = star {
                star = (last.pattern, last.text + 1)
                p = last.pattern + 1
                t = last.text + 1
            } else {
                return false
            }
        }
        while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }

    // MARK: - Lines

    private static func entry(_ bytes: [UInt8], line: Int) throws(ParseError) -> Entry? {
        var cursor = Cursor(bytes: bytes, line: line)
        cursor.skipSpace()
        guard let first = cursor.peek, first != UInt8(ascii: "#") else { return nil }
        let principalsColumn = cursor.column
        let principals = unquote(Substring(try cursor.field()))
        guard !principals.isEmpty else { throw cursor.error("no principals", at: principalsColumn) }
        cursor.skipSpace()
        var options: Options?
        let secondColumn = cursor.column
        let second = try cursor.field()
        var keyType = second, keyColumn = secondColumn
        if !SSHPublicKey.isKeyType(Substring(second)) {
            options = try Options(second, cursor: cursor, column: secondColumn)
            cursor.skipSpace()
            keyColumn = cursor.column
            keyType = try cursor.field()
        }
        guard !keyType.isEmpty else { throw cursor.error("a key type and key are missing", at: keyColumn) }
        guard SSHPublicKey.isKeyType(Substring(keyType)) else { throw cursor.error("'\(keyType)' is not an SSH key type", at: keyColumn) }
        cursor.skipSpace()
        let dataColumn = cursor.column
        let data = try cursor.field()
        guard !data.isEmpty else { throw cursor.error("the key's base64 data is missing", at: dataColumn) }
        let key: SSHPublicKey
        do {
            key = try SSHPublicKey(text: keyType + " " + data)
        } catch {
            throw cursor.error(error.description, at: keyColumn)
        }
        return Entry(principals: principals, key: key, namespaces: options?.namespaces, validAfter: options?.validAfter,
                     validBefore: options?.validBefore, isCertificateAuthority: options?.certificateAuthority ?? false, line: line)
    }

    private struct Options {
        var namespaces: String?
        var validAfter: Int64?
        var validBefore: Int64?
        var certificateAuthority = false

        init(_ text: String, cursor: Cursor, column: Int) throws(ParseError) {
            var offset = 0
            for option in Self.split(text) {
                let at = column + offset
                offset += option.utf8.count + 1
                let (name, value) = option.firstIndex(of: "=").map { (String(option[..<$0]), AllowedSigners.unquote(option[option.index(after: $0)...])) }
                    ?? (option, nil)
                switch (name.lowercased(), value) {
                case ("cert-authority", nil): certificateAuthority = true
                case ("namespaces", let value?): namespaces = value
                case ("valid-after", let value?), ("valid-before", let value?):
                    guard let time = AllowedSigners.time(value) else {
                        throw cursor.error("\(name) '\(value)' is not YYYYMMDD[HHMM[SS]][Z]", at: at)
                    }
                    if name.lowercased() == "valid-after" { validAfter = time } else { validBefore = time }
                default:
                    throw cursor.error("unknown option '\(option)' (cairn reads namespaces, valid-after, valid-before and cert-authority)", at: at)
                }
            }
        }

        /// Options split at commas outside quotes.
        static func split(_ text: String) -> [String] {
            var parts: [String] = [], current = "", quoted = false
            for character in text {
                if character == "\"" { quoted.toggle() }
                if character == ",", !quoted {
                    parts.append(current)
                    current = ""
                } else {
                    current.append(character)
                }
            }
            parts.append(current)
            return parts
        }

    }

    static func unquote(_ text: Substring) -> String {
        text.count >= 2 && text.first == "\"" && text.last == "\"" ? String(text.dropFirst().dropLast()) : String(text)
    }

    /// A time as ssh-keygen reads it in valid-after/valid-before: `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`,
    /// UTC with a trailing `Z`, local time without.
    static func time(_ text: String) -> Int64? {
        let utc = text.hasSuffix("Z") || text.hasSuffix("z")
        let digits = utc ? String(text.dropLast()) : text
        guard [8, 12, 14].contains(digits.count), digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        func number(_ from: Int, _ count: Int) -> Int { Int(digits.dropFirst(from).prefix(count))! }
        var components = DateComponents()
        (components.year, components.month, components.day) = (number(0, 4), number(4, 2), number(6, 2))
        components.hour = digits.count >= 12 ? number(8, 2) : 0
        components.minute = digits.count >= 12 ? number(10, 2) : 0
        components.second = digits.count == 14 ? number(12, 2) : 0
        guard (1...12).contains(components.month!), (1...31).contains(components.day!), components.hour! < 24, components.minute! < 60,
              components.second! < 60 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc ? TimeZone(identifier: "UTC")! : TimeZone.current
        return calendar.date(from: components).map { Int64($0.timeIntervalSince1970) }
    }

    /// A position in one line, reading whitespace-separated fields (a field may hold quoted spaces).
    private struct Cursor {
        let bytes: [UInt8]
        let line: Int
        var offset = 0

        init(bytes: [UInt8], line: Int) {
            self.bytes = bytes.last == UInt8(ascii: "\r") ? Array(bytes.dropLast()) : bytes
            self.line = line
        }

        var peek: UInt8? { offset < bytes.count ? bytes[offset] : nil }
        var column: Int { offset + 1 }

        mutating func skipSpace() {
            while let byte = peek, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { offset += 1 }
        }

        mutating func field() throws(ParseError) -> String {
            let start = offset
            var quoted = false
            while let byte = peek, quoted || (byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t")) {
                if byte == UInt8(ascii: "\"") { quoted.toggle() }
                offset += 1
            }
            if quoted { throw error("a quote is not closed", at: start + 1) }
            return String(decoding: bytes[start..<offset], as: UTF8.self)
        }

        func error(_ message: String, at column: Int) -> ParseError {
            ParseError(line: line, column: column, message: message)
        }
    }
}
