import Foundation

/// The process that takes a lease: the host name and process id recorded with it.
public struct LeaseHolder: Sendable, Hashable {
    public let host: String
    public let pid: Int32

    /// This process. The name is `gethostname`'s (Foundation's `hostName` may ask the resolver).
    public static let current: LeaseHolder = {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0 ? String(cString: name) : "unknown"
        return LeaseHolder(host: host, pid: getpid())
    }()

    /// Whether a process with `pid` runs on this host (a process of another user counts as running).
    public static func isRunning(pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
