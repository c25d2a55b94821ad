import CairnFuzzTargets
import CairnTestSupport
import Foundation
import Testing

/// Every input `make fuzz` starts from (fuzz/corpus) or found crashing or hanging (fuzz/regressions) runs through its
/// target again: a crash here fails the run.
@Suite("Fuzz corpus and regressions")
struct FuzzRegressionTests {
    static func files(_ folder: String, _ target: FuzzTarget) -> [URL] {
        let url = SourceTree.root.appendingPathComponent("fuzz/\(folder)/\(target.rawValue)")
        return ((try? FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)) ?? [])
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    @Test("each target has seeds, and every seed and kept finding runs through it", arguments: FuzzTarget.allCases)
    func replay(target: FuzzTarget) throws {
        let seeds = Self.files("corpus", target)
        #expect(!seeds.isEmpty, "fuzz/corpus/\(target.rawValue) is empty")
        for file in seeds + Self.files("regressions", target) {
            target.run([UInt8](try Data(contentsOf: file)))
        }
    }
}
