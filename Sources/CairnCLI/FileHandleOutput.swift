import Foundation

/// Writes to the process's standard streams.
enum FileHandleOutput {
    static func writeStandardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
