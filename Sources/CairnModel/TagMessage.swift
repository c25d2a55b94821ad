/// The message of a tag cairn writes: a subject line, a blank line, then `key: value` lines (`actor:`, `reason:`,
/// `sequence:`, `hash:`). Reading takes the first line of each key after the subject; other text is kept by git
/// and ignored here.
public struct TagMessage: Sendable, Hashable {
    public let subject: String
    public let fields: [(key: String, value: String)]

    public init(subject: String, fields: [(String, String)]) {
        self.subject = subject
        self.fields = fields.map { (key: $0.0, value: $0.1) }
    }

    public init(parsing text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        subject = lines.popFirst().map(String.init) ?? ""
        var fields: [(key: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":"), line[line.index(after: colon)...].first == " " else { continue }
            let key = line[..<colon]
            guard !key.isEmpty, key.first != " ", key.allSatisfy({ $0.isLetter || $0 == "-" || $0 == " " }) else { continue }
            fields.append((key: String(key), value: String(line[line.index(colon, offsetBy: 2)...])))
        }
        self.fields = fields
    }

    /// The first value given for `key`.
    public subscript(key: String) -> String? {
        fields.first { $0.key == key }?.value
    }

    /// As git stores it: subject, blank line, one line per field, final newline.
    public var text: String {
        subject + "\n\n" + fields.map { "\($0.key): \($0.value.replacingEvery("\n", with: " "))\n" }.joined()
    }

    public static func == (lhs: TagMessage, rhs: TagMessage) -> Bool {
        lhs.subject == rhs.subject && lhs.fields.map(\.key) == rhs.fields.map(\.key) && lhs.fields.map(\.value) == rhs.fields.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(subject)
        for field in fields { hasher.combine(field.key); hasher.combine(field.value) }
    }
}
