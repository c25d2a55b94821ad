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
        if isGitAlias(name) {
            return "tree entry named '\(name.debugDescription.dropFirst().dropLast())' could overwrite git's own files on checkout; refused"
        }
        switch kind {
        case .symlink: return "symbolic links are not allowed inside the registry; refused"
        case .submodule: return "submodules are not allowed inside the registry; refused"
        case .unknown(let mode): return "tree entry has unknown mode \(String(mode, radix: 8)); refused"
        default: return nil
        }
    }

    /// Whether a file system could take `name` for `.git`, as git's own `verify_path` judges it: HFS+ ignores
    /// some invisible code points (`.g\u{200C}it`), NTFS drops trailing spaces and dots (`.git. `), reads `:` as the
    /// start of a stream (`.git::$INDEX_ALLOCATION`) and has the short name `git~1`; both ignore case. Names that start
    /// with `.git.` are refused too.
    static func isGitAlias(_ name: String) -> Bool {
        let visible = String(String.UnicodeScalarView(name.unicodeScalars.filter { !isHFSIgnorable($0) })).lowercased()
        for stem in [".git", "git~1"] where visible.hasPrefix(stem) {
            let rest = visible.dropFirst(stem.count)
            if rest.hasPrefix(".") && stem == ".git" { return true }
            let tail = rest.drop { $0 == " " || $0 == "." }
            if tail.isEmpty || tail.hasPrefix(":") { return true }
        }
        return false
    }

    /// The code points HFS+ leaves out when it compares names (git's `next_hfs_char`).
    private static func isHFSIgnorable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200C...0x200F, 0x202A...0x202E, 0x206A...0x206F, 0xFEFF: true
        default: false
        }
    }

    static func isRegistryFile(_ name: String) -> Bool {
        (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && !name.hasPrefix(".")
    }
}
