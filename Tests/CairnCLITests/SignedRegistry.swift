import CairnTestSupport
import Foundation
import Testing

/// registry-example committed under `registry/` with dev's policy given as YAML lines (each under `policy:`) and
/// `allowedSigners` as its allowed-signers file, every version registered: the registry the signature and evidence
/// tests start from.
func signedRegistry(devPolicy: [String], allowedSigners: [String]) throws -> TestRepository {
    let repo = try TestRepository()
    try repo.copy(from: SourceTree.registryExample, to: "registry")
    let config = repo.directory.appendingPathComponent("registry/cairn.yaml")
    let dev = "environments:\n  - name: dev\n    description: Every merged change lands here first.\n"
    let text = try String(contentsOf: config, encoding: .utf8)
        .replacingOccurrences(of: dev, with: dev + "    policy:\n" + devPolicy.map { "      \($0)\n" }.joined())
    try repo.write("registry/cairn.yaml", text)
    try repo.write("registry/allowed_signers", allowedSigners.joined(separator: "\n") + "\n")
    try repo.commitAll("registry")
    let register = try CLITests().run(["register", "--all", "--path", "registry", "--actor", "ci"], in: repo.directory)
    #expect(register.status == 0, "\(register.output)")
    return repo
}
