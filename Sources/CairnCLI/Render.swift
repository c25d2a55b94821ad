import ArgumentParser
import CairnManifest
import CairnModel
import CairnRegistry
import Foundation

/// `cairn render`: print a prompt with its variables filled in.
struct Render: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render a prompt template: text as is, chat messages as JSON.",
        discussion: Help.text(examples: ["cairn render prompt/support-triage@1.3.0 --var company=Acme --var subject=\"Late order\" --var body=\"Where is it?\""], exits: .done))

    @Argument(help: "The prompt version, e.g. prompt/support-triage@1.3.0.")
    var prompt: String

    @Option(name: .customLong("var"), help: "A variable as NAME=VALUE (repeatable).")
    var variables: [String] = []

    @Option(name: .customLong("vars-file"), help: "A JSON or YAML file with variable values.")
    var varsFile: String?

    @Option(name: .long, help: "The revision to read.")
    var ref: String = "HEAD"

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        guard let version = ArtifactVersion(prompt), version.id.kind == .promptTemplate else {
            printError("error: '\(prompt)' is not a prompt version; write prompt/NAME@X.Y.Z")
            throw ExitStatus.couldNotRun
        }
        let artifact: Artifact
        var values: [String: JSONValue] = [:]
        do {
            let location = try RegistryLocation.open(directory: registry.repo, path: registry.path)
            artifact = try RegistryReader(location: location).artifact(version, at: try location.commit(ref))
            if let varsFile { values = try Self.readVarsFile(varsFile) }
        } catch {
            printError("error: \(error)")
            throw ExitStatus.couldNotRun
        }
        values.merge(try Self.parseVariables(variables)) { _, command in command }
        guard case .promptTemplate(let spec) = artifact.spec else { throw ExitStatus.couldNotRun }
        do {
            print(try PromptRenderer.render(spec, values: values).output)
        } catch {
            printError("error: \(version): \(error)" + (error.missing.map { "; pass --var \($0)=VALUE" } ?? ""))
            throw ExitStatus.findings
        }
    }

    /// `--var NAME=VALUE` options as string values (typed later by the variable's declared type).
    static func parseVariables(_ assignments: [String]) throws -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "=") else {
                printError("error: --var '\(assignment)' must be NAME=VALUE")
                throw ExitStatus.couldNotRun
            }
            values[String(assignment[..<equals])] = .string(String(assignment[assignment.index(after: equals)...]))
        }
        return values
    }

    /// A vars file is a mapping of names to values, in JSON or YAML (read with the same hardening as artifacts).
    static func readVarsFile(_ path: String) throws -> [String: JSONValue] {
        let bytes = try InputFile.read(path, limit: HardenedYAMLLoader.maxBytesDefault, what: "vars file")
        let node: YAMLNode
        do {
            node = try HardenedYAMLLoader().load(bytes)
        } catch {
            throw CairnError.unreadableFile(path: path, line: error.mark.line, column: error.mark.column, message: error.message)
        }
        guard case .object(let values) = JSONSchemaSet().typed(node, schema: nil) else {
            throw CairnError.unreadableFile(path: path, line: 1, column: 1, message: "a vars file is a mapping of variable names to values")
        }
        return values
    }
}
