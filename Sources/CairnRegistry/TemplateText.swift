/// `{{variable}}` placeholders in prompt templates.
public enum TemplateText {
    /// A piece of a template: literal text or a placeholder.
    public enum Piece: Sendable, Hashable {
        case text(String)
        case variable(String, line: Int)
        /// `{{` without a valid name and `}}`.
        case malformed(String, line: Int)
    }

    /// Splits a template into literal text and placeholders (`{{ name }}`, spaces allowed inside the braces).
    public static func pieces(_ template: String) -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        var line = 1
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            literal += rest[..<open.lowerBound]
            line += rest[..<open.lowerBound].filter { $0 == "\n" }.count
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "}}") else {
                if !literal.isEmpty { pieces.append(.text(literal)) }
                pieces.append(.malformed("{{" + afterOpen.prefix(20), line: line))
                return pieces
            }
            let inner = afterOpen[..<close.lowerBound].trimmingSpaces()
            if !literal.isEmpty { pieces.append(.text(literal)) }
            literal = ""
            if isIdentifier(inner) {
                pieces.append(.variable(String(inner), line: line))
            } else {
                pieces.append(.malformed("{{" + afterOpen[..<close.lowerBound] + "}}", line: line))
            }
            line += afterOpen[..<close.lowerBound].filter { $0 == "\n" }.count
            rest = afterOpen[close.upperBound...]
        }
        literal += rest
        if !literal.isEmpty { pieces.append(.text(literal)) }
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
