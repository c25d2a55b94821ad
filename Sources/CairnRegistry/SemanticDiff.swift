import CairnManifest
import CairnModel
import Git2

/// What a change does to each artifact, compared by meaning: documents are compared as typed JSON, so reformatting,
/// reordering keys or adding comments changes nothing (the canonical digest is the same).
public struct SemanticDiff: Sendable {
    public enum Change: String, Sendable {
        case added, removed
        /// The version changed (and usually the content with it).
        case versionBumped = "version-bumped"
        /// The content changed, the version did not.
        case changed
    }

    /// One field that differs, at a dotted path; list items with a `name` or `id` are addressed by it.
    public struct Field: Sendable, Hashable {
        public enum Category: String, Sendable {
            case text, variable, input, reference, model, compliance, field
        }

        public let path: String
        public let category: Category
        public let before: JSONValue?
        public let after: JSONValue?
        /// For long text: the line diff (`-`, `+` and ` ` prefixed lines).
        public let lines: [String]
    }

    public struct Entry: Sendable {
        public let id: ArtifactID
        public let change: Change
        public let from: SemVer?
        public let to: SemVer?
        public let path: String
        public let fields: [Field]
        /// The whole documents, for checks that look past the fields (required variables, major bumps).
        public let before: JSONValue?
        public let after: JSONValue?
    }

    public let entries: [Entry]

    /// Compares the artifacts of two snapshots; `document` parses one artifact's file (only changed ones are parsed).
    public init(base: [RegistrySnapshot.Artifact], head: [RegistrySnapshot.Artifact],
                document: (RegistrySnapshot.Artifact) throws -> JSONValue) throws {
        let before = Dictionary(base.map { ($0.summary.id, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(head.map { ($0.summary.id, $0) }, uniquingKeysWith: { first, _ in first })
        var entries: [Entry] = []
        for id in Set(before.keys).union(after.keys).sorted() {
            switch (before[id], after[id]) {
            case (nil, let new?):
                entries.append(Entry(id: id, change: .added, from: nil, to: new.summary.version, path: new.path, fields: [],
                                     before: nil, after: try document(new)))
            case (let old?, nil):
                entries.append(Entry(id: id, change: .removed, from: old.summary.version, to: nil, path: old.path, fields: [],
                                     before: try document(old), after: nil))
            case (let old?, let new?) where old.summary.digest != new.summary.digest || old.summary.version != new.summary.version:
                let oldDocument = try document(old), newDocument = try document(new)
                entries.append(Entry(id: id, change: old.summary.version != new.summary.version ? .versionBumped : .changed, from: old.summary.version, to: new.summary.version,
                                     path: new.path, fields: Self.fields(from: oldDocument, to: newDocument),
                                     before: oldDocument, after: newDocument))
            default:
                continue
            }
        }
        self.entries = entries
    }

    // MARK: - Fields

    /// The leaves that differ between two documents (the version itself is the entry's, not a field).
    static func fields(from old: JSONValue, to new: JSONValue) -> [Field] {
        var left: [String: JSONValue] = [:], right: [String: JSONValue] = [:]
        flatten(old, path: "", into: &left)
        flatten(new, path: "", into: &right)
        return Set(left.keys).union(right.keys).sorted().compactMap { path in
            guard path != "metadata.version", left[path] != right[path] else { return nil }
            let category = category(of: path, before: left[path], after: right[path])
            var lines: [String] = []
            if category == .text, let a = left[path]?.stringValue, let b = right[path]?.stringValue {
                lines = LineDiff.lines(from: a, to: b)
            }
            return Field(path: path, category: category, before: left[path], after: right[path], lines: lines)
        }
    }

    /// Leaves by dotted path. Arrays of objects that carry a `name` or `id` are keyed by it (`spec.variables[tone]`),
    /// so that reordering them is no change; variables and inputs stay whole objects (they are added or removed).
    /// Other arrays of objects go by position (`spec.messages[1].content`); arrays of scalars are one value.
    static func flatten(_ value: JSONValue, path: String, into out: inout [String: JSONValue]) {
        switch value {
        case .object(let members):
            for (key, member) in members { flatten(member, path: path.isEmpty ? key : "\(path).\(key)", into: &out) }
        case .array(let items) where !items.isEmpty && items.allSatisfy({ ($0["name"] ?? $0["id"])?.stringValue != nil }):
            for item in items {
                let itemPath = "\(path)[\((item["name"] ?? item["id"])!.stringValue!)]"
                if path.hasSuffix(".variables") || path.hasSuffix(".inputs") {
                    out[itemPath] = item
                } else {
                    flatten(item, path: itemPath, into: &out)
                }
            }
        case .array(let items) where !items.isEmpty && items.allSatisfy({ $0.objectValue != nil }):
            for (index, item) in items.enumerated() { flatten(item, path: "\(path)[\(index)]", into: &out) }
        default:
            out[path] = value
        }
    }

    static func category(of path: String, before: JSONValue?, after: JSONValue?) -> Field.Category {
        if path.hasPrefix("compliance.") { return .compliance }
        // A value that reads as KIND/NAME@VERSION on both sides is a reference re-pinned.
        if let old = before?.stringValue, let new = after?.stringValue, ArtifactReference(old) != nil, ArtifactReference(new) != nil { return .reference }
        if path.hasPrefix("spec.variables[") { return .variable }
        if path.hasPrefix("spec.inputs[") { return .input }
        if path.hasPrefix("spec.modelConfig.") || path.hasPrefix("spec.peft.") || path.hasPrefix("spec.baseModel.") { return .model }
        if path == "spec.template" || (path.hasPrefix("spec.messages[") && path.hasSuffix(".content")) { return .text }
        return .field
    }
}

/// A line diff by longest common subsequence: `-` removed, `+` added, ` ` kept (texts of a few hundred lines).
public enum LineDiff {
    public static func lines(from old: String, to new: String) -> [String] {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Beyond this the quadratic table is not worth it: show the texts replaced whole.
        guard a.count * b.count <= 4_000_000 else { return a.map { "-" + $0 } + b.map { "+" + $0 } }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var out: [String] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                out.append(" " + a[i]); i += 1; j += 1
            } else if i < a.count, j == b.count || table[i + 1][j] >= table[i][j + 1] {
                out.append("-" + a[i]); i += 1
            } else {
                out.append("+" + b[j]); j += 1
            }
        }
        return out
    }
}
