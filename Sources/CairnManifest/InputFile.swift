import Foundation

/// Files a user hands to cairn (vars files, saved plans), read with a size bound: a file over the bound is refused
/// after reading at most one byte past it, never loaded whole first.
public enum InputFile {
    /// The bytes of `path`, refused with `InputFileError` when it is larger than `limit` or cannot be read.
    public static func read(_ path: String, limit: Int, what: String) throws(InputFileError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw InputFileError("cannot read \(what) \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        if fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw InputFileError("cannot read \(what) \(path): it is a folder")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while bytes.count <= limit {
            let want = min(chunk.count, limit + 1 - bytes.count)
            let got = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, want) }
            if got < 0 {
                if errno == EINTR { continue }
                throw InputFileError("cannot read \(what) \(path): \(String(cString: strerror(errno)))")
            }
            if got == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<got])
        }
        throw InputFileError("\(what) \(path) is larger than \(limit) bytes; refused without reading the rest")
    }
}

/// Why a user's file could not be taken, said plainly.
public struct InputFileError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
