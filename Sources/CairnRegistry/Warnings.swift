import Foundation
import Synchronization

/// Warnings about input cairn skips rather than refuses (a tag it cannot order, say), each said once per process
/// on standard error: a reader that ignored something silently would leave the user guessing why it is missing.
public enum Warnings {
    private static let said = Mutex<Set<String>>([])

    /// Writes `message` to standard error as `warning: ...`, unless it was already said.
    public static func emit(_ message: String) {
        guard said.withLock({ $0.insert(message).inserted }) else { return }
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }
}
