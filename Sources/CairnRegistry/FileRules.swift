import CairnManifest
import CairnModel

/// The rules that need only one file. Each appends findings with the rule's name.
struct FileRules {
    let document: Document
    private(set) var findings: [ParsedManifest.Finding] = []

    init(document: Document) {
        self.document = document
    }

    private mutating func report(_ path: [PathComponent], _ message: String, rule: String) {
        findings.append(ParsedManifest.Finding(document.mark(path), message, rule: rule))
    }

    // MARK: - Prompt templates

    /// Every `{{x}}` is declared; every required variable is used; placeholders are well-formed.
    mutating func checkTemplateVariables() {
        let spec = document.value["spec"]
        var declared: [String: Int] = [:]
        for (index, variable) in (spec?["variables"]?.arrayValue ?? []).enumerated() {
            guard let name = variable["name"]?.stringValue else { continue }
            if declared[name] != nil {
                report([.key("spec"), .key("variables"), .index(index), .key("name")], "variable '\(name)' is declared twice", rule: "template-variables")
            }
            declared[name] = index
        }
        var texts: [([PathComponent], String)] = []
        if let template = spec?["template"]?.stringValue { texts.append(([.key("spec"), .key("template")], template)) }
        for (index, message) in (spec?["messages"]?.arrayValue ?? []).enumerated() {
            if let content = message["content"]?.stringValue {
                texts.append(([.key("spec"), .key("messages"), .index(index), .key("content")], content))
            }
        }
        var used = Set<String>()
        for (path, text) in texts {
            for piece in TemplateText.pieces(text) {
                switch piece {
                case .variable(let name, let line):
                    used.insert(name)
                    if declared[name] == nil {
                        report(path, "template uses undeclared variable '\(name)' (line \(line) of the template); declare it under spec.variables", rule: "template-variables")
                    }
                case .malformed(let text, let line):
                    report(path, "malformed placeholder '\(text)' (line \(line) of the template); write {{name}}", rule: "template-variables")
                case .text:
                    break
                }
            }
        }
        for (index, variable) in (spec?["variables"]?.arrayValue ?? []).enumerated() {
            guard let name = variable["name"]?.stringValue, variable["required"]?.boolValue ?? true, !used.contains(name) else { continue }
            report([.key("spec"), .key("variables"), .index(index), .key("name")],
                   "required variable '\(name)' is never used in the template", rule: "template-variables")
        }
    }

    // MARK: - Chains

    /// Step ids are unique; every input source exists; steps (with their fallbacks and routes) form a DAG.
    mutating func checkChainGraph() {
        let spec = document.value["spec"]
        let inputs = Set((spec?["inputs"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
        let steps = spec?["steps"]?.arrayValue ?? []
        var position: [String: Int] = [:]
        for (index, step) in steps.enumerated() {
            guard let id = step["id"]?.stringValue else { continue }
            if position[id] != nil {
                report([.key("spec"), .key("steps"), .index(index), .key("id")], "step id '\(id)' is used twice", rule: "chain-graph")
            } else {
                position[id] = index
            }
        }
        var edges: [Int: [Int]] = [:]
        func source(_ text: String, at path: [PathComponent], from step: Int?) {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if parts.count == 2, parts[0] == "inputs" {
                if !inputs.contains(parts[1]) { report(path, "source '\(text)' names an input the chain does not declare", rule: "chain-graph") }
            } else if parts.count >= 3, parts[0] == "steps", parts[2] == "output" {
                guard let target = position[parts[1]] else {
                    report(path, "source '\(text)' names a step that does not exist", rule: "chain-graph")
                    return
                }
                if let step { edges[step, default: []].append(target) }
            } else {
                report(path, "source '\(text)' must be inputs.NAME or steps.ID.output[.FIELD]", rule: "chain-graph")
            }
        }
        for (index, step) in steps.enumerated() {
            let base: [PathComponent] = [.key("spec"), .key("steps"), .index(index)]
            for (key, value) in (step["inputMap"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                if let text = value.stringValue { source(text, at: base + [.key("inputMap"), .key(key)], from: index) }
            }
            if let fallback = step["fallback"]?.stringValue {
                if let target = position[fallback], target != index {
                    edges[target, default: []].append(index)
                } else {
                    report(base + [.key("fallback")], "fallback '\(fallback)' is not another step of this chain", rule: "chain-graph")
                }
            }
            for (label, value) in (step["routes"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                guard let target = value.stringValue else { continue }
                if let targetIndex = position[target] {
                    edges[targetIndex, default: []].append(index)
                } else {
                    report(base + [.key("routes"), .key(label)], "route '\(label)' goes to step '\(target)', which does not exist", rule: "chain-graph")
                }
            }
        }
        for (key, value) in (spec?["outputs"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let text = value.stringValue { source(text, at: [.key("spec"), .key("outputs"), .key(key)], from: nil) }
        }
        if let cycle = Self.findCycle(count: steps.count, edges: edges) {
            let names = cycle.map { steps[$0]["id"]?.stringValue ?? "#\($0)" }
            report([.key("spec"), .key("steps"), .index(cycle[0])],
                   "steps form a cycle: \((names + [names[0]]).joined(separator: " → ")); a chain must be a DAG", rule: "chain-graph")
        }
    }

    /// A cycle in a directed graph (node → the nodes it depends on), as the list of its nodes.
    static func findCycle(count: Int, edges: [Int: [Int]]) -> [Int]? {
        var state = Array(repeating: 0, count: count)  // 0 new, 1 on stack, 2 done
        var stack: [Int] = []
        func visit(_ node: Int) -> [Int]? {
            state[node] = 1
            stack.append(node)
            for next in edges[node, default: []] {
                if state[next] == 1, let start = stack.firstIndex(of: next) { return Array(stack[start...]) }
                if state[next] == 0, let cycle = visit(next) { return cycle }
            }
            stack.removeLast()
            state[node] = 2
            return nil
        }
        for node in 0..<count where state[node] == 0 {
            if let cycle = visit(node) { return cycle }
        }
        return nil
    }

    // MARK: - Digests

    /// A SHA-256 digest is 64 lowercase hexadecimal digits.
    mutating func checkDigest(at path: [PathComponent]) {
        guard let text = document.value(at: path)?.stringValue else { return }
        let valid = text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
        if !valid {
            report(path, "'\(text.prefix(80))' is not a SHA-256 digest (64 lowercase hexadecimal digits)", rule: "digest")
        }
    }

    // MARK: - References

    /// Every reference the artifact makes, with syntax and kind checked here (resolution needs the whole registry).
    mutating func referenceSites(kind: ArtifactKind) -> [ReferenceSite] {
        var sites: [ReferenceSite] = []
        func add(_ path: [PathComponent], _ kinds: [ArtifactKind]) {
            guard let text = document.value(at: path)?.stringValue else { return }
            guard let reference = ArtifactReference(text) else {
                report(path, "'\(text)' is not a reference; write KIND/NAME@VERSION, e.g. \(kinds[0].shortName)/name@1.0.0", rule: "reference")
                return
            }
            // A reference parses as cairn's KIND/NAME only, so it has a kind.
            guard let kind = reference.id.kind, kinds.contains(kind) else {
                report(path, "'\(text)' must reference a \(kinds.map(\.rawValue).joined(separator: " or ")), not a \(reference.id.kind?.rawValue ?? "tag-only artifact")", rule: "reference")
                return
            }
            sites.append(ReferenceSite(field: path.dotted, text: text, reference: reference, mark: document.mark(path), allowedKinds: kinds))
        }
        func each(_ path: [PathComponent], _ body: ([PathComponent]) -> Void) {
            for index in (document.value(at: path)?.arrayValue ?? []).indices { body(path + [.index(index)]) }
        }
        each([.key("compliance"), .key("evaluations")]) { add($0 + [.key("dataset")], [.datasetManifest]) }
        switch kind {
        case .chain:
            each([.key("spec"), .key("steps")]) {
                add($0 + [.key("prompt")], [.promptTemplate])
                add($0 + [.key("adapter")], [.adapter])
            }
        case .adapter:
            each([.key("spec"), .key("training"), .key("datasets")]) { add($0, [.datasetManifest]) }
            each([.key("spec"), .key("results")]) { add($0 + [.key("dataset")], [.datasetManifest]) }
        case .deployment:
            add([.key("spec"), .key("target"), .key("chain")], [.chain])
            add([.key("spec"), .key("target"), .key("prompt")], [.promptTemplate])
            each([.key("spec"), .key("adapters")]) { add($0, [.adapter]) }
            each([.key("spec"), .key("gates")]) { add($0 + [.key("dataset")], [.datasetManifest]) }
            add([.key("spec"), .key("runtime"), .key("fallback")], [.chain, .promptTemplate])
        case .promptTemplate, .datasetManifest:
            break
        }
        return sites
    }
}
