import CairnModel
@testable import CairnRegistry
import CairnTestSupport
import Foundation

/// A git repository holding a copy of registry-example/ at `registry/`, committed.
struct RegistryFixture {
    let repo: TestRepository

    init() throws {
        repo = try TestRepository()
        try repo.copy(from: SourceTree.registryExample, to: "registry")
        try repo.commitAll("registry")
    }

    func read(_ source: RegistrySource? = nil, cache: ValidationCache? = nil) throws -> RegistrySnapshot {
        let location = try RegistryLocation.open(directory: repo.path, path: "registry")
        let reader = RegistryReader(location: location, cache: cache ?? ValidationCache(fingerprint: "test"))
        return try reader.read(source ?? .commit(try location.commit("HEAD")))
    }

    /// Rewrites a file of the example with `edit`, commits, and returns the findings with `rule`.
    func findings(after file: String, rule: String, _ edit: (String) -> String) throws -> [Diagnostic] {
        let url = repo.directory.appendingPathComponent("registry/" + file)
        let text = try String(contentsOf: url, encoding: .utf8)
        let edited = edit(text)
        precondition(edited != text, "the edit changed nothing in \(file)")
        try repo.write("registry/" + file, edited)
        try repo.commitAll("edit \(file)")
        return try read().diagnostics.filter { $0.rule == rule }
    }
}
