import CairnModel
import CairnRegistry
import Foundation
import Testing

@Suite("cairn init scaffold")
struct ScaffoldTests {
    @Test("a folder with one of the scaffold's files already present is left exactly as it was")
    func refusesWithoutWriting() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-scaffold-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("prompts"), withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: directory.appendingPathComponent("prompts/greeting.yaml"))
        #expect {
            try Scaffold.write(to: directory.path)
        } throws: { error in
            guard case .fileExists(let path, _)? = error as? CairnError else { return false }
            return path.hasSuffix("prompts/greeting.yaml")
        }
        let left = try FileManager.default.subpathsOfDirectory(atPath: directory.path).sorted()
        #expect(left == ["prompts", "prompts/greeting.yaml"])
    }
}
