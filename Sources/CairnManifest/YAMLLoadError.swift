/// Why a YAML file was refused, with the 1-based position to report and the rule that refused it.
public struct YAMLLoadError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public let mark: SourceMark
    /// `yaml-syntax`, `yaml-size`, `yaml-alias`, `yaml-depth`, `yaml-duplicate-key`, `yaml-multi-document`, `yaml-tag`, `yaml-key`.
    public let rule: String

    public var description: String { "\(mark.line):\(mark.column): error: \(message) [\(rule)]" }
}
