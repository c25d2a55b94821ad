import ArgumentParser
import Git2

/// `cairn version`: what this binary is, for bug reports: cairn's version and the libgit2 it runs with.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print cairn's version and the libgit2 it runs with.",
        discussion: Help.text(examples: ["cairn version"], exits: .done))

    func run() async throws {
        print("cairn \(Cairn.configuration.version) (libgit2 \(libgit2Version))")
    }
}
