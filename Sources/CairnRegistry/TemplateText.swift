/// `{{variable}}` placeholders in prompt templates.
public enum TemplateText {
    /// A piece of a template: literal text or a placeholder.
    public enum Piece: Sendable, Hashable {
        case text(String)
        case variable(String, line: Int)
        /// `{{` without a valid name and `}}`.
        case malformed(String, line: Int)
    }

    /// Splits a template into literal text and placeholders (`{{ name }}`, spaces allowed inside the braces). The
    /// braces are ASCII, so the template is scanned as UTF-8 bytes (Foundation's `range(of:)` per brace pair cost
    /// more than the rest of a render).
    public static func pieces(_ template: String) -> [Piece] {
        let bytes = Array(template.utf8)
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        func newlines(_ range: Range<Int>) -> Int { bytes[range].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) } }
        /// Where the next two `brace`s in a row start, at or after `start`.
        func pair(_ brace: UInt8, from start: Int) -> Int? {
            var index = start
            while index + 1 < bytes.count {
                if bytes[index] == brace && bytes[index + 1] == brace { return index }
                index += 1
            }
            return nil
        }
        var pieces: [Piece] = []
        var line = 1
        var position = 0
        while let open = pair(UInt8(ascii: "{"), from: position) {
            if open > position { pieces.append(.text(text(position..<open))) }
            line += newlines(position..<open)
            let afterOpen = open + 2
            guard let close = pair(UInt8(ascii: "}"), from: afterOpen) else {
                pieces.append(.malformed("{{" + text(afterOpen..<bytes.count).prefix(20), line: line))
                return pieces
            }
            let between = text(afterOpen..<close)
            let inner = Substring(between).trimmingSpaces()
            if isIdentifier(inner) {
                pieces.append(.variable(String(inner), line: line))
            } else {
                pieces.append(.malformed("{{" + between + "}}", line: line))
            }
            line += newlines(afterOpen..<close)
            position = close + 2
        }
        if position < bytes.count { pieces.append(.text(text(position..<bytes.count))) }
        return pieces
    }

    static func isIdentifier(_ text: Substring) -> Bool {
        guard let first = text.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return text.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
