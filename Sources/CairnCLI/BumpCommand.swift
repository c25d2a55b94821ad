import ArgumentParser
import CairnRegistry

extension VersionBump.Level: ExpressibleByArgument {}

/// `cairn bump`: a new version in the working tree, with every artifact that pins it re-pinned and bumped.
struct BumpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bump",
        abstract: "Bump an artifact's version in the working tree and re-pin what pins it, up to the deployments.",
        discussion: Help.text("Only version and pin texts change; review with git diff, commit, and 'cairn check' passes.",
                              examples: ["cairn bump prompt/support-triage minor && git commit -am \"support-triage 1.4.0\""], exits: .done))

    @Argument(help: "KIND/NAME", completion: Completion.artifacts)
    var artifact: String

    @Argument(help: "major, minor or patch.")
    var level: VersionBump.Level

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        let id = try parseArtifactID(artifact)
        let changes = try await orExit {
            let location = try RegistryLocation.open(directory: registry.repo, path: registry.path)
            return try VersionBump.bump(id, level, reader: RegistryReader(location: location))
        }
        for change in changes { print(change) }
    }
}
