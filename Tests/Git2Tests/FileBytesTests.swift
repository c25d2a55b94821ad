import Foundation
import Git2
import Testing

@Suite("Whole files read into an array")
struct FileBytesTests {
    @Test("a file over the limit is refused by its size, before it is read; one at the limit is read whole")
    func limit() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-file-bytes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let content = (0..<100).map { UInt8($0) }
        try Data(content).write(to: url)
        #expect(FileBytes.read(url.path, limit: 99) == nil)
        #expect(FileBytes.read(url.path, limit: 100) == content)
        #expect(FileBytes.read(url.path) == content)
        #expect(FileBytes.read(url.path + ".missing") == nil)
    }
}
