import CairnModel

/// A place where a document breaks its schema.
public struct SchemaViolation: Sendable, Hashable {
    /// Where in the document (empty: the whole document).
    public let path: [PathComponent]
    public let message: String
    /// The schema keyword that failed, e.g. `required`.
    public let keyword: String
    /// Report the key's position rather than its value's (unknown fields).
    public let atKey: Bool
}

extension JSONSchemaSet {
    /// Validates `value` against the compiled schema `root`; empty means valid.
    public func validate(_ value: JSONValue, against root: Int) -> [SchemaViolation] {
        var violations: [SchemaViolation] = []
        var path: [PathComponent] = []
        check(value, root, &path, &violations)
        return violations
    }

    /// True when `value` is valid; stops at the first violation.
    public func isValid(_ value: JSONValue, against root: Int) -> Bool {
        var path: [PathComponent] = []
        var violations: [SchemaViolation] = []
        check(value, root, &path, &violations, stopEarly: true)
        return violations.isEmpty
    }

    private func check(_ value: JSONValue, _ index: Int, _ path: inout [PathComponent], _ out: inout [SchemaViolation], stopEarly: Bool = false) {
        let node = nodes[index]
        func fail(_ keyword: String, _ message: String, atKey: Bool = false) {
            out.append(SchemaViolation(path: path, message: message, keyword: keyword, atKey: atKey))
        }
        if let constant = node.constant {
            if !constant { fail("false", "no value is allowed here") }
            return
        }
        if let ref = node.ref {
            check(value, ref, &path, &out, stopEarly: stopEarly)
            if stopEarly && !out.isEmpty { return }
        }
        if let types = node.types, !types.contains(where: { Self.matches(value, type: $0) }) {
            fail("type", "expected \(types.joined(separator: " or ")), found \(Self.describe(value))")
            return
        }
        if let values = node.enumValues, !values.contains(where: { $0.jsonEquals(value) }) {
            let allowed = values.map { $0.canonicalJSON }.joined(separator: ", ")
            fail("enum", "\(Self.describe(value)) is not one of \(allowed)")
        }
        if let constant = node.constValue, !constant.jsonEquals(value) {
            fail("const", "must be \(constant.canonicalJSON), found \(Self.describe(value))")
        }
        switch value {
        case .string(let text):
            if node.minLength != nil || node.maxLength != nil {
                let length = text.unicodeScalars.count
                if let minimum = node.minLength, length < minimum { fail("minLength", "must be at least \(minimum) characters long") }
                if let maximum = node.maxLength, length > maximum { fail("maxLength", "must be at most \(maximum) characters long, is \(length)") }
            }
            if let pattern = node.pattern, !pattern.matches(text) {
                if let description = node.description {
                    fail("pattern", "\(JSONValue.quoted(text)) is not valid here: \(description)")
                } else {
                    fail("pattern", "\(JSONValue.quoted(text)) does not match the pattern \(pattern.source)")
                }
            }
        case .int, .number:
            let number = value.doubleValue!
            if let minimum = node.minimum, number < minimum { fail("minimum", "must be at least \(JSONValue.format(minimum)), is \(value.canonicalJSON)") }
            if let maximum = node.maximum, number > maximum { fail("maximum", "must be at most \(JSONValue.format(maximum)), is \(value.canonicalJSON)") }
            if let minimum = node.exclusiveMinimum, number <= minimum { fail("exclusiveMinimum", "must be greater than \(JSONValue.format(minimum))") }
            if let maximum = node.exclusiveMaximum, number >= maximum { fail("exclusiveMaximum", "must be less than \(JSONValue.format(maximum))") }
        case .array(let items):
            if let minimum = node.minItems, items.count < minimum { fail("minItems", "must have at least \(minimum) item\(minimum == 1 ? "" : "s")") }
            if let maximum = node.maxItems, items.count > maximum { fail("maxItems", "must have at most \(maximum) items") }
            // Hashed, not compared pairwise: a long list must cost its length, not its square.
            if node.uniqueItems {
                var first: [JSONEquality: Int] = [:]
                for (position, item) in items.enumerated() {
                    if let earlier = first.updateValue(position, forKey: JSONEquality(item)) {
                        path.append(.index(position))
                        fail("uniqueItems", "duplicates item \(earlier)")
                        path.removeLast()
                        break
                    }
                }
            }
            if let itemSchema = node.items {
                for (position, item) in items.enumerated() {
                    path.append(.index(position))
                    check(item, itemSchema, &path, &out, stopEarly: stopEarly)
                    path.removeLast()
                    if stopEarly && !out.isEmpty { return }
                }
            }
        case .object(let members):
            if let minimum = node.minProperties, members.count < minimum { fail("minProperties", "must have at least \(minimum) properties") }
            if let maximum = node.maxProperties, members.count > maximum { fail("maxProperties", "must have at most \(maximum) properties") }
            for key in node.required where members[key] == nil {
                fail("required", "missing required field '\(key)'")
            }
            // Findings come out in key order, the same every run; the members are visited as the dictionary holds
            // them and only the findings made here are put in order (sorting every member cost more than the rest).
            let start = out.count
            defer { if out.count - start > 1 { Self.orderByKey(&out, from: start, depth: path.count) } }
            for (key, member) in members {
                path.append(.key(key))
                var matched = false
                if !node.properties.isEmpty, let property = node.properties[key] {
                    matched = true
                    check(member, property, &path, &out, stopEarly: stopEarly)
                }
                for (pattern, schema) in node.patternProperties where pattern.matches(key) {
                    matched = true
                    check(member, schema, &path, &out, stopEarly: stopEarly)
                }
                if !matched, let additional = node.additionalProperties {
                    if nodes[additional].constant == false {
                        let known = node.properties.keys.sorted()
                        let hint = known.isEmpty ? "" : "; known fields: " + known.joined(separator: ", ")
                        fail("additionalProperties", "unknown field '\(key)'\(hint)", atKey: true)
                    } else {
                        check(member, additional, &path, &out, stopEarly: stopEarly)
                    }
                }
                path.removeLast()
                if stopEarly && !out.isEmpty { return }
            }
        default:
            break
        }
        for member in node.allOf {
            check(value, member, &path, &out, stopEarly: stopEarly)
        }
        if !node.anyOf.isEmpty, !node.anyOf.contains(where: { isValid(value, against: $0) }) {
            reportBestBranch(value, node.anyOf, keyword: "anyOf", &path, &out)
        }
        if !node.oneOf.isEmpty {
            let passing = node.oneOf.filter { isValid(value, against: $0) }
            if passing.isEmpty {
                reportBestBranch(value, node.oneOf, keyword: "oneOf", &path, &out)
            } else if passing.count > 1 {
                fail("oneOf", "matches more than one of the allowed forms")
            }
        }
        if let negated = node.not, isValid(value, against: negated) {
            fail("not", "matches a form that is not allowed")
        }
    }

    /// When no branch of anyOf/oneOf matches, report the branch that got furthest (deepest first error, then fewest errors).
    private func reportBestBranch(_ value: JSONValue, _ branches: [Int], keyword: String, _ path: inout [PathComponent], _ out: inout [SchemaViolation]) {
        var best: [SchemaViolation] = []
        var bestScore = (depth: -1, count: Int.max)
        for branch in branches {
            var branchPath = path
            var found: [SchemaViolation] = []
            check(value, branch, &branchPath, &found)
            let typeOnly = found.count == 1 && found[0].keyword == "type" && found[0].path == path
            let depth = (found.map(\.path.count).max() ?? 0) - (typeOnly ? 1 : 0)
            if depth > bestScore.depth || (depth == bestScore.depth && found.count < bestScore.count) {
                best = found
                bestScore = (depth, found.count)
            }
        }
        if best.count == 1 && best[0].keyword == "type" && best[0].path == path {
            out.append(SchemaViolation(path: path, message: "\(Self.describe(value)) does not match any allowed form (\(keyword))", keyword: keyword, atKey: false))
        } else {
            out.append(contentsOf: best)
        }
    }

    /// Puts `out[start...]` in order of the key each finding is under at `depth`, keeping the order of findings under
    /// one key (those of the object itself, with no key at that depth, first).
    static func orderByKey(_ out: inout [SchemaViolation], from start: Int, depth: Int) {
        // Each finding's key is taken once; the sort compares those (an empty key, the object's own, sorts first).
        let keyed = out[start...].enumerated().map { offset, violation -> (key: String, offset: Int) in
            guard violation.path.count > depth, case .key(let key) = violation.path[depth] else { return ("", offset) }
            return (key, offset)
        }
        let order = keyed.sorted { $0.key == $1.key ? $0.offset < $1.offset : $0.key < $1.key }
        let slice = Array(out[start...])
        out.replaceSubrange(start..., with: order.map { slice[$0.offset] })
    }

    public static func matches(_ value: JSONValue, type: String) -> Bool {
        switch type {
        case "number": if case .int = value { return true }; if case .number = value { return true }; return false
        case "integer": return value.typeName == "integer"
        default: return value.typeName == type
        }
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return "boolean \(flag)"
        case .int, .number: return "number \(value.canonicalJSON)"
        case .string(let text): return "string " + JSONValue.quoted(text.count > 40 ? String(text.prefix(40)) + "…" : text)
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A JSON value hashed and compared as JSON Schema compares instances (`1` equals `1.0`; member order is irrelevant).
private struct JSONEquality: Hashable {
    let value: JSONValue

    init(_ value: JSONValue) { self.value = value }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.value.jsonEquals(rhs.value) }

    func hash(into hasher: inout Hasher) { Self.hash(value, into: &hasher) }

    private static func hash(_ value: JSONValue, into hasher: inout Hasher) {
        switch value {
        case .null: hasher.combine(0)
        case .bool(let flag): hasher.combine(1); hasher.combine(flag)
        case .string(let text): hasher.combine(2); hasher.combine(text)
        case .int, .number: hasher.combine(3); hasher.combine(value.doubleValue!)
        case .array(let items):
            hasher.combine(4)
            hasher.combine(items.count)
            for item in items { hash(item, into: &hasher) }
        case .object(let members):
            hasher.combine(5)
            hasher.combine(members.count)
            for key in members.keys.sorted() {
                hasher.combine(key)
                hash(members[key]!, into: &hasher)
            }
        }
    }
}
