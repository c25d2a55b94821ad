/// One entry of a git tree: its name, object id and what kind of object the mode says it is.
public struct TreeEntry: Sendable, Hashable {
    /// What a tree entry's file mode declares.
    public enum Kind: Sendable, Hashable {
        case blob
        case executable
        case tree
        case symlink
        case submodule
        case unknown(UInt32)
    }

    public let name: String
    public let id: ObjectID
    public let kind: Kind
    /// The raw file mode, e.g. 0o100644.
    public let mode: UInt32

    public init(name: String, id: ObjectID, mode: UInt32) {
        self.name = name
        self.id = id
        self.mode = mode
        switch mode {
        case 0o100644: kind = .blob
        case 0o100755: kind = .executable
        case 0o040000: kind = .tree
        case 0o120000: kind = .symlink
        case 0o160000: kind = .submodule
        default: kind = .unknown(mode)
        }
    }
}
