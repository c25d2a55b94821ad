import CairnModel
import Foundation

/// A set of JSON Schema (draft 2020-12) documents compiled for fast, repeated validation.
///
/// Interprets: type, properties, patternProperties, additionalProperties, required, enum, const, pattern,
/// minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength, items, minItems, maxItems,
/// uniqueItems, minProperties, maxProperties, $ref, $defs, $id, allOf, anyOf, oneOf, not, and boolean schemas.
/// Annotations (title, description, default, examples, format, $comment) are read and ignored.
/// Written by hand because no listed package validates JSON Schema.
public struct JSONSchemaSet: Sendable {
    var nodes: [SchemaNode] = []
    /// Every compiled subschema by absolute URI with JSON-pointer fragment (`https://x/a.json#/$defs/b`).
    var locations: [String: Int] = [:]
    /// The root of each document, by the name it was added under and by its `$id`.
    var roots: [String: Int] = [:]
    private var pendingRefs: [(node: Int, ref: String, base: URL)] = []
    /// The types a node allows (nil: any), as bits, computed once after refs resolve: typing a scalar builds no sets.
    var allowedTypeMasks: [TypeMask?] = []
    /// Each node with everything it reaches through $ref, allOf, anyOf and oneOf, computed once after linking.
    var closures: [[Int]] = []

    public init() {}

    /// Adds one schema document. `name` is how callers find it again (e.g. `prompt.schema.json`).
    public mutating func add(_ document: JSONValue, name: String, baseURI: String = "https://cairn.invalid/schemas/") throws {
        let base = URL(string: name, relativeTo: URL(string: baseURI))!.absoluteURL
        let root = try compile(document, base: base, pointer: "", isResourceRoot: true)
        roots[name] = root
    }

    /// Resolves every `$ref`; call once after the last `add`.
    public mutating func link() throws {
        for pending in pendingRefs {
            guard let target = resolve(pending.ref, base: pending.base) else {
                throw SchemaCompileError(message: "unresolvable $ref '\(pending.ref)' (from \(pending.base.absoluteString))")
            }
            nodes[pending.node].ref = target
        }
        pendingRefs = []
        allowedTypeMasks = nodes.indices.map { index in
            var visiting = Set<Int>()
            return computeTypes(index, &visiting).map(TypeMask.init(names:))
        }
        closures = nodes.indices.map { reached(from: [$0]) }
    }

    /// `candidates` and every node they reach through $ref, allOf, anyOf and oneOf, in visiting order.
    func reached(from candidates: [Int]) -> [Int] {
        var result: [Int] = []
        var seen = Set<Int>()
        var queue = candidates
        while let next = queue.popLast() {
            guard seen.insert(next).inserted else { continue }
            result.append(next)
            let node = nodes[next]
            if let ref = node.ref { queue.append(ref) }
            queue.append(contentsOf: node.allOf)
            queue.append(contentsOf: node.anyOf)
            queue.append(contentsOf: node.oneOf)
        }
        return result
    }

    /// Compiles every `pattern` and `patternProperties` key now (they are otherwise compiled when first matched), so
    /// that a bad one is an error when the schemas are loaded.
    public func checkPatterns() throws {
        for node in nodes {
            for (pattern, _) in node.patternProperties { _ = try pattern.regex() }
            _ = try node.pattern?.regex()
        }
    }

    /// The root node of a document added as `name`.
    public func root(named name: String) -> Int? { roots[name] }

    private func resolve(_ ref: String, base: URL) -> Int? {
        guard let url = URL(string: ref, relativeTo: base)?.absoluteURL else { return nil }
        var text = url.absoluteString
        var fragment = ""
        if let hash = text.firstIndex(of: "#") {
            fragment = String(text[text.index(after: hash)...])
            text = String(text[..<hash])
        }
        let decoded = fragment.removingPercentEncoding ?? fragment
        if let index = locations[text + "#" + decoded] { return index }
        if !decoded.isEmpty && !decoded.hasPrefix("/") { return locations[text + "#anchor:" + decoded] }
        return nil
    }

    private func computeTypes(_ index: Int, _ visiting: inout Set<Int>) -> Set<String>? {
        guard visiting.insert(index).inserted else { return nil }
        let node = nodes[index]
        var result: Set<String>? = node.types.map(Set.init)
        func intersect(_ other: Set<String>?) {
            guard let other else { return }
            result = result.map { $0.intersection(other) } ?? other
        }
        if let ref = node.ref { intersect(computeTypes(ref, &visiting)) }
        for member in node.allOf { intersect(computeTypes(member, &visiting)) }
        for group in [node.anyOf, node.oneOf] where !group.isEmpty {
            var union = Set<String>()
            var unconstrained = false
            for member in group {
                if let types = computeTypes(member, &visiting) { union.formUnion(types) } else { unconstrained = true }
            }
            if !unconstrained { intersect(union) }
        }
        visiting.remove(index)
        return result
    }

    // MARK: - Compilation

    private mutating func compile(_ value: JSONValue, base: URL, pointer: String, isResourceRoot: Bool = false) throws -> Int {
        let index = nodes.count
        nodes.append(SchemaNode())
        var base = base
        if case .bool(let flag) = value {
            nodes[index].constant = flag
            register(index, base: base, pointer: pointer)
            return index
        }
        guard case .object(let keywords) = value else {
            throw SchemaCompileError(message: "a schema must be an object or a boolean at '\(pointer)'")
        }
        if let id = keywords["$id"]?.stringValue, let url = URL(string: id, relativeTo: base)?.absoluteURL {
            register(index, base: base, pointer: pointer)
            base = url
            locations[Self.stripFragment(url) + "#"] = index
        } else {
            register(index, base: base, pointer: pointer)
        }
        let localPointer = keywords["$id"] != nil ? "" : pointer
        if let anchor = keywords["$anchor"]?.stringValue {
            locations[Self.stripFragment(base) + "#anchor:" + anchor] = index
        }
        let node = SchemaNode()
        switch keywords["type"] {
        case .string(let name)?: node.types = [name]
        case .array(let names)?: node.types = names.compactMap(\.stringValue)
        default: break
        }
        if let properties = keywords["properties"]?.objectValue {
            for (key, schema) in properties {
                node.properties[key] = try compile(schema, base: base, pointer: localPointer + "/properties/" + Self.escape(key))
            }
        }
        if let patterns = keywords["patternProperties"]?.objectValue {
            for (pattern, schema) in patterns.sorted(by: { $0.key < $1.key }) {
                let child = try compile(schema, base: base, pointer: localPointer + "/patternProperties/" + Self.escape(pattern))
                node.patternProperties.append((SchemaPattern(pattern), child))
            }
        }
        if let additional = keywords["additionalProperties"] {
            node.additionalProperties = try compile(additional, base: base, pointer: localPointer + "/additionalProperties")
        }
        if let required = keywords["required"]?.arrayValue { node.required = required.compactMap(\.stringValue) }
        if let values = keywords["enum"]?.arrayValue { node.enumValues = values }
        if let constant = keywords["const"] { node.constValue = constant }
        if let pattern = keywords["pattern"]?.stringValue { node.pattern = SchemaPattern(pattern) }
        node.description = keywords["description"]?.stringValue
        node.minimum = keywords["minimum"]?.doubleValue
        node.maximum = keywords["maximum"]?.doubleValue
        node.exclusiveMinimum = keywords["exclusiveMinimum"]?.doubleValue
        node.exclusiveMaximum = keywords["exclusiveMaximum"]?.doubleValue
        node.minLength = keywords["minLength"]?.doubleValue.map { Int($0) }
        node.maxLength = keywords["maxLength"]?.doubleValue.map { Int($0) }
        node.minItems = keywords["minItems"]?.doubleValue.map { Int($0) }
        node.maxItems = keywords["maxItems"]?.doubleValue.map { Int($0) }
        node.minProperties = keywords["minProperties"]?.doubleValue.map { Int($0) }
        node.maxProperties = keywords["maxProperties"]?.doubleValue.map { Int($0) }
        node.uniqueItems = keywords["uniqueItems"]?.boolValue ?? false
        if let items = keywords["items"] { node.items = try compile(items, base: base, pointer: localPointer + "/items") }
        for (keyword, keyPath) in [("allOf", \SchemaNode.allOf), ("anyOf", \.anyOf), ("oneOf", \.oneOf)] {
            if let members = keywords[keyword]?.arrayValue {
                for (position, member) in members.enumerated() {
                    node[keyPath: keyPath].append(try compile(member, base: base, pointer: localPointer + "/\(keyword)/\(position)"))
                }
            }
        }
        if let negated = keywords["not"] { node.not = try compile(negated, base: base, pointer: localPointer + "/not") }
        for container in ["$defs", "definitions"] {
            if let definitions = keywords[container]?.objectValue {
                for (key, schema) in definitions {
                    _ = try compile(schema, base: base, pointer: localPointer + "/\(container)/" + Self.escape(key))
                }
            }
        }
        if let ref = keywords["$ref"]?.stringValue { pendingRefs.append((index, ref, base)) }
        nodes[index] = node
        return index
    }

    private mutating func register(_ index: Int, base: URL, pointer: String) {
        locations[Self.stripFragment(base) + "#" + pointer] = index
    }

    private static func stripFragment(_ url: URL) -> String {
        let text = url.absoluteString
        if let hash = text.firstIndex(of: "#") { return String(text[..<hash]) }
        return text
    }

    private static func escape(_ key: String) -> String {
        guard key.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return key }
        return key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

/// A schema that could not be compiled (bad regex, unresolvable `$ref`).
public struct SchemaCompileError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// One compiled subschema; children are indices into `JSONSchemaSet.nodes`.
///
/// A class so that validation and typing, which visit a node per value, take a reference instead of copying a dozen
/// fields. `@unchecked Sendable`: nodes are written only while their set is compiled and linked, read-only after.
final class SchemaNode: @unchecked Sendable {
    var constant: Bool?
    var types: [String]?
    var properties: [String: Int] = [:]
    var patternProperties: [(SchemaPattern, Int)] = []
    var additionalProperties: Int?
    var required: [String] = []
    var enumValues: [JSONValue]?
    var constValue: JSONValue?
    var pattern: SchemaPattern?
    /// Shown instead of a long pattern when a value does not match.
    var description: String?
    var minimum: Double?
    var maximum: Double?
    var exclusiveMinimum: Double?
    var exclusiveMaximum: Double?
    var minLength: Int?
    var maxLength: Int?
    var minItems: Int?
    var maxItems: Int?
    var minProperties: Int?
    var maxProperties: Int?
    var uniqueItems = false
    var items: Int?
    var allOf: [Int] = []
    var anyOf: [Int] = []
    var oneOf: [Int] = []
    var not: Int?
    var ref: Int?
}

/// A `pattern` (ECMA-262 approximated by ICU, unanchored as the spec says), compiled on first use: the first
/// `NSRegularExpression` of a process loads ICU's data, which a run that matches no pattern (a warm `validate`) skips.
/// `JSONSchemaSet.checkPatterns()` compiles them all up front, for schemas that did not come with the binary.
final class SchemaPattern: @unchecked Sendable {
    // NSRegularExpression is immutable after creation and documented thread-safe for matching; `compiled` is set
    // once, under the lock.
    let source: String
    private let lock = NSLock()
    private var compiled: Result<NSRegularExpression, SchemaCompileError>?

    init(_ source: String) { self.source = source }

    func regex() throws -> NSRegularExpression {
        try lock.withLock {
            if let compiled { return compiled }
            let made = Result { try NSRegularExpression(pattern: source) }.mapError { _ in SchemaCompileError(message: "invalid pattern '\(source)'") }
            compiled = made
            return made
        }.get()
    }

    /// Whether `text` matches; a pattern that does not compile matches nothing.
    func matches(_ text: String) -> Bool {
        guard let regex = try? regex() else { return false }
        let range = NSRange(text.startIndex..., in: text)
        return regex.firstMatch(in: text, options: [], range: range) != nil
    }
}

/// JSON Schema's instance types as bits.
struct TypeMask: OptionSet, Sendable, Hashable {
    let rawValue: UInt8

    static let null = TypeMask(rawValue: 1)
    static let boolean = TypeMask(rawValue: 2)
    static let integer = TypeMask(rawValue: 4)
    static let number = TypeMask(rawValue: 8)
    static let string = TypeMask(rawValue: 16)
    static let array = TypeMask(rawValue: 32)
    static let object = TypeMask(rawValue: 64)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(names: Set<String>) {
        var mask: TypeMask = []
        for name in names {
            switch name {
            case "null": mask.insert(.null)
            case "boolean": mask.insert(.boolean)
            case "integer": mask.insert(.integer)
            case "number": mask.insert(.number)
            case "string": mask.insert(.string)
            case "array": mask.insert(.array)
            case "object": mask.insert(.object)
            default: break
            }
        }
        self = mask
    }

    /// The types `value` is an instance of (an integral number is an integer too, and every integer a number).
    init(of value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool: self = .boolean
        case .int: self = [.integer, .number]
        case .number(let number): self = number.isFinite && number.rounded() == number ? [.integer, .number] : .number
        case .string: self = .string
        case .array: self = .array
        case .object: self = .object
        }
    }
}
