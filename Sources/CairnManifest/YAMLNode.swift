import CairnModel

/// A position in a source file, 1-based.
public struct SourceMark: Sendable, Hashable {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

/// A YAML scalar as written: its text, whether it was plain (unquoted), and where it starts.
public struct YAMLScalar: Sendable, Hashable {
    public let text: String
    /// Plain scalars are typed by the schema; quoted and block scalars are always strings.
    public let isPlain: Bool
    /// True when the scalar carried an explicit `!!str` tag.
    public let isTaggedString: Bool
    public let mark: SourceMark
}

/// A parsed YAML document with positions, owned by cairn (Sendable, no Yams types).
public indirect enum YAMLNode: Sendable {
    case scalar(YAMLScalar)
    case sequence([YAMLNode], SourceMark)
    /// Keys in document order; keys are scalars (complex keys are refused at load time).
    case mapping([YAMLPair], SourceMark)

    public var mark: SourceMark {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .sequence(_, let mark), .mapping(_, let mark): mark
        }
    }

    /// The node reached by following a JSON-pointer-like path, and the mark to report for it.
    /// When `pointAtKey` is set and the last step is a mapping key, the key's own mark is returned.
    public func mark(at path: [PathComponent], pointAtKey: Bool = false) -> SourceMark {
        var node = self
        for (index, component) in path.enumerated() {
            switch (node, component) {
            case (.mapping(let pairs, _), .key(let key)):
                guard let pair = pairs.first(where: { $0.key.text == key }) else { return node.mark }
                if pointAtKey && index == path.count - 1 { return pair.key.mark }
                node = pair.value
            case (.sequence(let items, _), .index(let position)) where position < items.count:
                node = items[position]
            default:
                return node.mark
            }
        }
        return node.mark
    }
}

/// One `key: value` of a mapping.
public struct YAMLPair: Sendable {
    public let key: YAMLScalar
    public let value: YAMLNode
}

/// One step into a JSON document: an object member or an array element.
public enum PathComponent: Sendable, Hashable, CustomStringConvertible {
    case key(String)
    case index(Int)

    public var description: String {
        switch self {
        case .key(let key): key
        case .index(let index): String(index)
        }
    }
}

extension Array where Element == PathComponent {
    /// `spec.messages[2].content`, for messages.
    public var dotted: String {
        var out = ""
        for component in self {
            switch component {
            case .key(let key): out += out.isEmpty ? key : "." + key
            case .index(let index): out += "[\(index)]"
            }
        }
        return out.isEmpty ? "(document)" : out
    }
}
