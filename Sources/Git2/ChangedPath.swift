/// One path that differs between two trees.
public struct ChangedPath: Sendable, Hashable {
    public enum Status: String, Sendable {
        case added, deleted, modified, renamed, typeChanged
    }

    public let status: Status
    public let oldPath: String
    public let newPath: String
}
