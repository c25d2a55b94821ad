import CairnManifest
import CairnModel
import CairnRegistry
import Foundation
import Git2
import Testing

@Suite("cairn init scaffold")
struct ScaffoldTests {
    static func author(_ repository: Repository) -> Signature { Signature(name: "Test", email: "test@example.com", time: 1_767_000_000) }

    @Test("a folder with one of the scaffold's files already present is left exactly as it was")
    func refusesWithoutWriting() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-scaffold-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("prompts"), withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: directory.appendingPathComponent("prompts/greeting.yaml"))
        #expect {
            try Scaffold.write(to: directory.path, author: Self.author)
        } throws: { error in
            guard case .fileExists(let path, _)? = error as? CairnError else { return false }
            return path.hasSuffix("prompts/greeting.yaml")
        }
        let left = try FileManager.default.subpathsOfDirectory(atPath: directory.path).sorted()
        #expect(left == ["prompts", "prompts/greeting.yaml"])
    }

    @Test("init writes the schemas beside the registry, and every file's $schema line names one of them, relative to it")
    func schemasOffline() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-scaffold-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let written = try Scaffold.write(to: directory.path, author: Self.author).written
        #expect(written.filter { $0.contains("/schemas/") }.count == ManifestSchemas.files.count)
        var checked = 0
        for path in written where path.hasSuffix(".yaml") {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            guard let line = text.split(separator: "\n").first(where: { $0.contains("$schema=") }) else { continue }
            let target = String(line.split(separator: "=", maxSplits: 1)[1])
            #expect(!target.contains("://"), "\(path): \(target)")
            let resolved = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(target).standardizedFileURL.path
            #expect(FileManager.default.fileExists(atPath: resolved), "\(path): \(target)")
            checked += 1
        }
        #expect(checked == 6)
        // The schemas name no network location: their references resolve against the folder they are in.
        for name in ManifestSchemas.files {
            let text = try String(contentsOf: directory.appendingPathComponent("schemas/\(name)"), encoding: .utf8)
            #expect(!text.contains("\"$id\""), "\(name)")
            #expect(text == ManifestSchemas.sources[name])
        }
    }
}
