import Foundation

/// Values a command uses until it exits. Freeing 10,000 cached results one by one costs a one-shot command
/// several milliseconds that the operating system does at once when the process ends, so such values are kept here
/// instead of being torn down when `run()` returns.
enum ProcessLifetime {
    nonisolated(unsafe) private static var kept: [Any] = []

    static func keep(_ values: Any...) {
        kept.append(contentsOf: values)
    }
}
