import ArgumentParser
import CBuildStamp
import Git2

/// `cairn version`: what this binary is, for bug reports: cairn's version, the commit it was built from, and the
/// libgit2 it runs with.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print cairn's version, the commit it was built from, and the libgit2 it runs with.",
        discussion: Help.text("make release (and so make install and make dist) writes the commit into the binary; a plain swift build says 'commit unknown'.",
                              examples: ["cairn version"], exits: .done))

    func run() async throws {
        let commit = String(cString: cairn_build_commit())
        print("cairn \(Cairn.configuration.version) (commit \(commit.isEmpty ? "unknown" : commit), libgit2 \(libgit2Version))")
    }
}
