import CairnTestSupport
import Foundation
import Testing

/// Files handed to cairn are read with a bound and refused in plain words.
@Suite("Files given on the command line")
struct InputFileCLITests {
    let cli = CLITests()

    func repository() throws -> TestRepository {
        let repo = try TestRepository()
        try repo.copy(from: SourceTree.registryExample, to: "registry")
        try repo.commitAll()
        return repo
    }

    @Test("a 300 MB vars file is refused after reading past the bound, not loaded whole")
    func hugeVarsFile() throws {
        let repo = try repository()
        let path = repo.directory.appendingPathComponent("vars.yaml").path
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 300 << 20)  // sparse: no disk, but 300 MB to read
        try handle.close()
        let result = try cli.run(["render", "prompt/summarize-ticket@2.0.1", "--path", "registry", "--vars-file", path], in: repo.directory)
        #expect(result.status != 0)
        #expect(result.output.contains("larger than 1048576 bytes"))
    }

    @Test("a missing or malformed plan file is named in one plain line, without Foundation's error dumps")
    func badPlanFiles() throws {
        let repo = try repository()
        let missing = try cli.run(["apply", "--env", "dev", "nope.plan", "--path", "registry"], in: repo.directory)
        #expect(missing.status != 0)
        #expect(missing.output.contains("cannot read plan file nope.plan: No such file or directory"))
        try repo.write("bad.plan", "{\"format\": \"cairn-plan/v1\", ")
        let malformed = try cli.run(["apply", "--env", "dev", "bad.plan", "--path", "registry"], in: repo.directory)
        #expect(malformed.output.contains("bad.plan: not valid JSON"))
        for output in [missing.output, malformed.output] {
            #expect(!output.contains("NSCocoaErrorDomain") && !output.contains("DecodingError") && !output.contains("Error Domain"))
        }
        let missingVars = try cli.run(["render", "prompt/summarize-ticket@2.0.1", "--path", "registry", "--vars-file", "none.yaml"], in: repo.directory)
        #expect(missingVars.output.contains("cannot read vars file none.yaml") && !missingVars.output.contains("Error Domain"))
    }
}
