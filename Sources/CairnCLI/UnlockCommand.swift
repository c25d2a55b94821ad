import ArgumentParser

/// `cairn unlock`: break an environment's apply lease left by an apply that died.
struct UnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unlock", abstract: "Break an apply lease; needs the lease id the loser was told.",
        discussion: Help.text(examples: ["cairn unlock --env production LEASE-ID"], exits: .done))

    @Option(name: .long, help: "The environment.", completion: Completion.environments)
    var env: String

    @Argument(help: "The lease id.")
    var id: String

    @OptionGroup var options: ReconcileOptions

    func run() async throws {
        try await orExit { try await options.open().store.forceUnlock(environment: env, id: id) }
        print("lease \(id) on '\(env)' removed")
    }
}
