import CairnManifest
import Foundation
import Testing

@Suite("Schemas carried in the binary")
struct EmbeddedSchemaTests {
    @Test("the embedded schemas are schemas/ exactly (run 'make schemas' after editing one)")
    func embeddedMatchFolder() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = try ManifestSchemas(directory: root.appendingPathComponent("schemas"))
        #expect(ManifestSchemas.bundled.fingerprint == folder.fingerprint)
    }
}
