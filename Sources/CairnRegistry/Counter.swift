import Foundation

/// A count shared by threads.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    var value: Int { lock.withLock { count } }

    /// Adds `more`; returns the new count.
    @discardableResult
    func add(_ more: Int = 1) -> Int { lock.withLock { count += more; return count } }
}
