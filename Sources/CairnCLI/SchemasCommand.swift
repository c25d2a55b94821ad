import ArgumentParser
import CairnManifest
import Foundation

/// `cairn schemas export DIR`: the JSON Schemas this cairn validates with, for editors and other validators.
struct SchemasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schemas", abstract: "The JSON Schemas cairn validates with.",
        discussion: Help.text(examples: ["cairn schemas export registry/schemas"], exits: .done), subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
        commandName: "export",
            abstract: "Write the schemas into a folder (their references are relative: they resolve offline).",
            discussion: Help.text("Example: cairn schemas export registry/schemas, then '# yaml-language-server: $schema=../schemas/prompt.schema.json' in a prompt file.", examples: ["cairn schemas export registry/schemas"], exits: .done))

        @Argument(help: "The folder to write them into (created if missing).")
        var directory: String

        func run() async throws {
            let written = try await orExit { try ManifestSchemas.export(to: URL(fileURLWithPath: directory)) }
            for path in written { print("wrote \(path)") }
        }
    }
}
