/// A finding about a file: where (1-based line and column), how bad, what, and which rule.
public struct Diagnostic: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error, warning
    }

    /// Path relative to the repository root (or the worktree).
    public let path: String
    public let line: Int
    public let column: Int
    public let severity: Severity
    public let message: String
    /// The rule's short name, e.g. `schema`, `yaml-alias`, `reference`.
    public let rule: String

    public init(path: String, line: Int, column: Int, severity: Severity = .error, message: String, rule: String) {
        self.path = path
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
        self.rule = rule
    }

    /// `path:line:col: error: message [rule]`, the form editors and CI annotate.
    public var description: String {
        "\(path):\(line):\(column): \(severity.rawValue): \(message) [\(rule)]"
    }

    public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        (lhs.path, lhs.line, lhs.column, lhs.rule, lhs.message) < (rhs.path, rhs.line, rhs.column, rhs.rule, rhs.message)
    }
}
