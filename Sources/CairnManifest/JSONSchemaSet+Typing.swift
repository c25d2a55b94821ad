import CairnModel

/// Types YAML scalars by what the schema expects at their place, not by YAML 1.1 guessing.
///
/// A plain scalar takes its YAML 1.2 core type when the schema allows that type there; otherwise, where the
/// schema allows a string, it is the string as written (`version: 1.10` is "1.10"). Otherwise it keeps its core
/// type, and validation says what was expected (`enabled: yes` is the string "yes" where a boolean belongs).
extension JSONSchemaSet {
    public func typed(_ node: YAMLNode, schema root: Int?) -> JSONValue {
        typed(node, candidates: root.map { [$0] } ?? [])
    }

    private func typed(_ node: YAMLNode, candidates: [Int]) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            guard scalar.isPlain else { return .string(scalar.text) }
            let core = CoreScalar.resolve(scalar.text)
            guard let allowed = types(of: candidates) else { return core }
            if case .null = core, !allowed.contains(.null) { return core }
            if !allowed.isDisjoint(with: TypeMask(of: core)) { return core }
            return allowed.contains(.string) ? .string(scalar.text) : core
        case .sequence(let items, _):
            var itemSchemas: [Int] = []
            for candidate in expand(candidates) { if let items = nodes[candidate].items { itemSchemas.append(items) } }
            return .array(items.map { typed($0, candidates: itemSchemas) })
        case .mapping(let pairs, _):
            let expanded = expand(candidates)
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(pairs.count)
            // Where no candidate names properties, every key gets the same schemas (a map such as `labels`).
            let shared = expanded.allSatisfy { nodes[$0].properties.isEmpty && nodes[$0].patternProperties.isEmpty }
                ? childSchemas(expanded, key: "") : nil
            for pair in pairs {
                members[pair.key.text] = typed(pair.value, candidates: shared ?? childSchemas(expanded, key: pair.key.text))
            }
            return .object(members)
        }
    }

    /// Union of allowed types over candidates; nil when any candidate (or none) leaves the type open.
    private func types(of candidates: [Int]) -> TypeMask? {
        guard !candidates.isEmpty else { return nil }
        var union: TypeMask = []
        for candidate in candidates {
            guard let types = allowedTypeMasks[candidate] else { return nil }
            union.formUnion(types)
        }
        return union
    }

    /// The candidates plus everything they reach through $ref, allOf, anyOf and oneOf (one candidate: precomputed).
    private func expand(_ candidates: [Int]) -> [Int] {
        switch candidates.count {
        case 0: []
        case 1: closures[candidates[0]]
        default: reached(from: candidates)
        }
    }

    private func childSchemas(_ parents: [Int], key: String) -> [Int] {
        var children: [Int] = []
        for parent in parents {
            let node = nodes[parent]
            if let property = node.properties[key] {
                children.append(property)
                continue
            }
            let patterns = node.patternProperties.isEmpty ? [] : node.patternProperties.filter { $0.0.matches(key) }.map(\.1)
            if !patterns.isEmpty {
                children.append(contentsOf: patterns)
            } else if let additional = node.additionalProperties, nodes[additional].constant != false {
                children.append(additional)
            }
        }
        return children
    }
}
