import ArgumentParser
import CairnRegistry

/// `cairn init`: scaffold a registry that validates clean.
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scaffold a registry: cairn.yaml (dev, staging, production) and one artifact of each kind.",
        discussion: Help.text(examples: ["cairn init registry && cd registry && git add -A && git commit -m registry"], exits: .done))

    @Argument(help: "The folder to create or fill (it must not already hold a cairn.yaml).")
    var directory: String

    func run() async throws {
        do {
            let created = try Scaffold.write(to: directory)
            for path in created { print("created \(path)") }
        } catch {
            printError("error: \(error)")
            throw ExitStatus.couldNotRun
        }
    }
}
