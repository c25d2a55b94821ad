import Git2

/// The registry files under a git tree plus the hazards found there. Cached by tree id with direct children
/// only (so a changed root costs one small record, not the whole listing again); the reader flattens.
public struct TreeListing: Sendable, Hashable {
    /// A YAML file: path relative to the listed tree, and its blob.
    public struct File: Sendable, Hashable {
        public var path: String
        public var blob: ObjectID
    }

    /// A tree entry that is refused: `..`, `.git` (any case), symlinks, submodules.
    public struct Hazard: Sendable, Hashable {
        public var path: String
        public var message: String
    }

    /// A folder below this tree.
    public struct Subtree: Sendable, Hashable {
        public var name: String
        public var id: ObjectID
    }

    public var files: [File] = []
    public var hazards: [Hazard] = []
    public var subtrees: [Subtree] = []

    /// The reason an entry name or mode is refused, nil when it is fine.
    static func hazard(name: String, kind: TreeEntry.Kind) -> String? {
        if name == ".." || name == "." || name.isEmpty {
            return "tree entry named '\(name)' would escape the registry; refused"
        }
        if name.contains("/") || name.contains("\\") || name.utf8.contains(0) {
            return "tree entry name contains a path separator; refused"
        }
        if name.lowercased() == ".git" || name.lowercased().hasPrefix(".git.") || name.lowercased() == "git~1" {
            return "tree entry named '\(name)' could overwrite git's own files on checkout; refused"
        }
        switch kind {
        case .symlink: return "symbolic links are not allowed inside the registry; refused"
        case .submodule: return "submodules are not allowed inside the registry; refused"
        case .unknown(let mode): return "tree entry has unknown mode \(String(mode, radix: 8)); refused"
        default: return nil
        }
    }

    static func isRegistryFile(_ name: String) -> Bool {
        (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && !name.hasPrefix(".")
    }
}
