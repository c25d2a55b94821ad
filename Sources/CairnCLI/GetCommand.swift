import ArgumentParser
import CairnManifest
import CairnModel
import CairnRegistry
import Foundation

/// `cairn get`: the artifact deployed in an environment, as JSON or rendered; how apps and scripts read what is live.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print the deployed artifact (JSON), or render a deployed prompt.",
        discussion: Help.text(examples: ["cairn get prompt/support-triage --env production", "cairn get prompt/support-triage --env production --render --var company=Acme --var subject=Hi --var body=Help"], exits: .done))

    @Option(name: .long, help: "The environment.", completion: Completion.environments)
    var env: String

    @Argument(help: "KIND/NAME, e.g. prompt/support-triage.", completion: Completion.artifacts)
    var artifact: String

    @Flag(name: .long, help: "Render a prompt with --var values instead of printing its JSON.")
    var render = false

    @Option(name: .customLong("var"), help: "A variable as NAME=VALUE (repeatable), with --render.")
    var variables: [String] = []

    @OptionGroup var options: ReconcileOptions

    func run() async throws {
        let id = try parseArtifactID(artifact)
        let row = try await orExit {
            let context = try await options.open()
            let rows = try await context.store.deployed(environment: env)
            guard let row = rows.first(where: { $0.artifact.id == id }) else {
                try await context.requireEnvironment(env) { !rows.isEmpty }
                throw CairnError.notDeployed(id, environment: env, deployed: rows.map(\.artifact.id.description))
            }
            return row
        }
        let document = try await orExit { try JSONValue.parse(json: Data(row.artifact.content.utf8)) }
        guard render else {
            print(document.prettyJSON())
            return
        }
        // `parseArtifactID` reads cairn's KIND/NAME only, so the id has a kind.
        let spec: Artifact.Spec = try await orExit(ExitStatus.couldNotRun) { try ArtifactDecoder.decode(document, kind: id.kind!).spec }
        guard case .promptTemplate(let prompt) = spec else {
            printError("error: --render works on prompts only")
            throw ExitStatus.couldNotRun
        }
        let values = try Render.parseVariables(variables)
        print(try await orExit { try PromptRenderer.render(prompt, values: values).output })
    }
}
