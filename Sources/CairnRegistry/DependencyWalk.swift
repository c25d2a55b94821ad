/// The one walk over what artifacts reference: from some roots, breadth-first (roots first, in their order), each
/// node's references followed by the caller's `visit`. What a reference resolves to is the caller's to say: the
/// newest version at a commit for validation's `protected` rule, the version an environment picks by its tags for
/// resolution (apply, plan), promote's closure check and the pre-receive check (`DeclaredState.Walker`).
public enum DependencyWalk {
    /// Visits `roots` and then, breadth-first, the nodes each visit returns. Nodes are not deduplicated: the caller
    /// decides what a second arrival means (resolution reports a conflict when it names another version).
    @inlinable
    public static func walk<Node>(from roots: [Node], _ visit: (Node) throws -> [Node]) rethrows {
        var queue = roots
        var next = 0
        while next < queue.count {
            let node = queue[next]
            next += 1
            queue += try visit(node)
        }
    }

    /// As `walk(from:_:)`, visiting each key once: a later node with a key already visited is skipped.
    @inlinable
    public static func walk<Node, Key: Hashable>(from roots: [Node], key: (Node) -> Key, _ visit: (Node) throws -> [Node]) rethrows {
        var visited = Set<Key>()
        try walk(from: roots) { node in visited.insert(key(node)).inserted ? try visit(node) : [] }
    }
}
