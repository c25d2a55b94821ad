internal import CYaml

/// Loads one YAML document into a `YAMLNode`, refusing hostile or ambiguous input before building anything big.
///
/// Parsing is libyaml's, as bundled by Yams (its `CYaml` module). cairn reads the event stream itself rather than
/// calling Yams' composer because the composer recurses once per nesting level (deep input overflows the stack),
/// expands aliases, and reports a duplicate key at its first occurrence. Reading events lets every hazard be
/// refused at the event that shows it: an alias bomb stops at its first anchor, in microseconds.
public struct HardenedYAMLLoader: Sendable {
    /// Files larger than this are refused before parsing.
    public var maxBytes: Int
    /// Deepest allowed nesting of mappings and sequences.
    public var maxDepth: Int

    public static let maxBytesDefault = 1 << 20
    public static let maxDepthDefault = 64

    public init(maxBytes: Int = Self.maxBytesDefault, maxDepth: Int = Self.maxDepthDefault) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
    }

    /// Parses `bytes` (UTF-8) as exactly one YAML document.
    public func load(_ bytes: [UInt8]) throws(YAMLLoadError) -> YAMLNode {
        guard bytes.count <= maxBytes else {
            throw YAMLLoadError(
                message: "file is \(bytes.count) bytes; the limit is \(maxBytes) bytes (1 MiB). Split the artifact or move data out of it",
                mark: SourceMark(line: 1, column: 1), rule: "yaml-size")
        }
        var reader = EventReader(maxDepth: maxDepth)
        return try bytes.withUnsafeBufferPointer { buffer throws(YAMLLoadError) in
            try reader.read(buffer)
        }
    }
}

/// Walks libyaml's events and builds the tree with an explicit stack (no recursion).
private struct EventReader {
    let maxDepth: Int

    /// A collection being built. A class so that appending to the one on top of the stack mutates it in place:
    /// an enum payload taken off the stack and put back copies its array, which made wide collections quadratic.
    private final class Frame {
        enum Shape { case sequence, mapping }
        let shape: Shape
        let mark: SourceMark
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLScalar?
        var seen: [String: SourceMark] = [:]

        init(_ shape: Shape, _ mark: SourceMark) {
            self.shape = shape
            self.mark = mark
        }

        /// Where `key` was first given in this mapping, nil when it is new (it is then remembered). A small mapping
        /// is searched in place; from `indexedFrom` keys on, they are kept in `seen`, so a wide one stays linear.
        func firstMark(of key: YAMLScalar) -> SourceMark? {
            if pairs.count < Self.indexedFrom {
                return pairs.first { $0.key.text == key.text }?.key.mark
            }
            if seen.isEmpty {
                for pair in pairs { seen[pair.key.text] = pair.key.mark }
            }
            return seen.updateValue(key.mark, forKey: key.text)
        }

        static let indexedFrom = 8

        var node: YAMLNode {
            switch shape {
            case .sequence: .sequence(items, mark)
            case .mapping: .mapping(pairs, mark)
            }
        }
    }

    private var stack: [Frame] = []
    private var root: YAMLNode?
    private var documents = 0

    init(maxDepth: Int) { self.maxDepth = maxDepth }

    mutating func read(_ buffer: UnsafeBufferPointer<UInt8>) throws(YAMLLoadError) -> YAMLNode {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw YAMLLoadError(message: "could not initialise the YAML parser", mark: SourceMark(line: 1, column: 1), rule: "yaml-syntax")
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { throw Self.syntaxError(parser) }
            defer { yaml_event_delete(&event) }
            let mark = SourceMark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return root ?? .scalar(YAMLScalar(text: "", isPlain: true, isTaggedString: false, mark: SourceMark(line: 1, column: 1)))
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    throw YAMLLoadError(message: "a second YAML document starts here; cairn reads one document per file", mark: mark, rule: "yaml-multi-document")
                }
            case YAML_ALIAS_EVENT:
                throw YAMLLoadError(message: "aliases (*name) are not allowed; write the value out", mark: mark, rule: "yaml-alias")
            case YAML_SCALAR_EVENT:
                let data = event.data.scalar
                try Self.refuseAnchor(data.anchor, mark)
                let tag = try Self.checkTag(data.tag, mark)
                let text = String(decoding: UnsafeBufferPointer(start: data.value, count: Int(data.length)), as: UTF8.self)
                let scalar = YAMLScalar(text: text, isPlain: data.style == YAML_PLAIN_SCALAR_STYLE && tag == nil,
                                        isTaggedString: tag == "tag:yaml.org,2002:str", mark: mark)
                try add(.scalar(scalar), scalar: scalar)
            case YAML_SEQUENCE_START_EVENT:
                try Self.refuseAnchor(event.data.sequence_start.anchor, mark)
                _ = try Self.checkTag(event.data.sequence_start.tag, mark)
                try push(Frame(.sequence, mark), mark)
            case YAML_MAPPING_START_EVENT:
                try Self.refuseAnchor(event.data.mapping_start.anchor, mark)
                _ = try Self.checkTag(event.data.mapping_start.tag, mark)
                try push(Frame(.mapping, mark), mark)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let frame = stack.removeLast()
                try add(frame.node, scalar: nil)
            default:
                break
            }
        }
    }

    private mutating func push(_ frame: Frame, _ mark: SourceMark) throws(YAMLLoadError) {
        if let top = stack.last, top.shape == .mapping, top.pendingKey == nil {
            throw YAMLLoadError(message: "mapping keys must be plain strings, not collections", mark: mark, rule: "yaml-key")
        }
        guard stack.count < maxDepth else {
            throw YAMLLoadError(message: "nesting deeper than \(maxDepth) levels", mark: mark, rule: "yaml-depth")
        }
        stack.append(frame)
    }

    /// Adds a finished node to the collection on top of the stack (or makes it the root).
    private mutating func add(_ node: YAMLNode, scalar: YAMLScalar?) throws(YAMLLoadError) {
        guard let top = stack.last else {
            root = node
            return
        }
        switch top.shape {
        case .sequence:
            top.items.append(node)
        case .mapping:
            if let key = top.pendingKey {
                top.pairs.append(YAMLPair(key: key, value: node))
                top.pendingKey = nil
            } else {
                guard let key = scalar else {
                    throw YAMLLoadError(message: "mapping keys must be plain strings, not collections", mark: node.mark, rule: "yaml-key")
                }
                if let first = top.firstMark(of: key) {
                    throw YAMLLoadError(
                        message: "duplicate key '\(key.text)' (first defined at line \(first.line), column \(first.column))",
                        mark: key.mark, rule: "yaml-duplicate-key")
                }
                top.pendingKey = key
            }
        }
    }

    private static func refuseAnchor(_ anchor: UnsafeMutablePointer<yaml_char_t>?, _ mark: SourceMark) throws(YAMLLoadError) {
        guard let anchor else { return }
        let name = String(cString: anchor)
        throw YAMLLoadError(message: "anchors (&\(name)) and aliases are not allowed; write the value out", mark: mark, rule: "yaml-alias")
    }

    /// Only the core schema's own tags are accepted; application tags (`!python/object`) are refused.
    private static func checkTag(_ tag: UnsafeMutablePointer<yaml_char_t>?, _ mark: SourceMark) throws(YAMLLoadError) -> String? {
        guard let tag else { return nil }
        let name = String(cString: tag)
        let allowed: Set = ["tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "!"]
        guard allowed.contains(name) else {
            throw YAMLLoadError(message: "explicit tag '\(name)' is not allowed", mark: mark, rule: "yaml-tag")
        }
        return name == "!" ? nil : name
    }

    private static func syntaxError(_ parser: yaml_parser_t) -> YAMLLoadError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let context = parser.context.map { String(cString: $0) + ": " } ?? ""
        let mark = SourceMark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        // libyaml has its own nesting limit (deeper than cairn's); it trips first on flow collections it scans ahead.
        let rule = problem.contains("max depth") || problem.contains("nesting level") ? "yaml-depth" : "yaml-syntax"
        return YAMLLoadError(message: context + problem, mark: mark, rule: rule)
    }
}
