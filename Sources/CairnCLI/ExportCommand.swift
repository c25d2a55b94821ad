import ArgumentParser
import CairnModel
import CairnReconciler
import Foundation

/// `cairn export`: what an environment runs, as files, for applications that read files instead of asking serve.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write what an environment runs as files (DIR/KIND/NAME.json and DIR/manifest.json), swapped in atomically.",
        discussion: Help.text("""
            DIR becomes a symbolic link to a folder holding one complete export; a new export is written beside it and \
            the link replaced in one rename, so a reader never sees a half-written folder. Running it again when nothing \
            changed writes nothing. cairn serve --export-dir DIR keeps DIR/ENV current for every environment.
            """, examples: ["cairn export --env production /srv/prompts/production"], exits: .done))

    @Option(name: .long, help: "The environment.", completion: Completion.environments)
    var env: String

    @Argument(help: "The path to write (a link cairn manages; it must not be a folder of yours).")
    var directory: String

    @OptionGroup var options: ReconcileOptions

    func run() async throws {
        let outcome = try await orExit {
            let context = try await options.open(withoutConfig: true)
            try await context.requireEnvironment(env) { try await context.store.serial(environment: env) > 0 }
            return try await DeployedExport.write(environment: env, store: context.store, to: directory)
        }
        let what = "\(outcome.artifacts) artifact\(outcome.artifacts == 1 ? "" : "s") of '\(env)' (\(outcome.digest))"
        print(outcome.written ? "exported \(what) to \(directory)" : "\(directory) already holds \(what)")
    }
}
