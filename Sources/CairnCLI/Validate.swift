import ArgumentParser
import CairnModel
import CairnRegistry
import Foundation
import Logging

/// `cairn validate`: is every artifact in the registry valid at a ref (or in the worktree)?
struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate every artifact of the registry at a ref, straight from git objects.",
        discussion: Help.text("Exit status: 0 valid, 1 findings, 2 could not run (no repository, bad ref, ...).", examples: ["cairn validate", "cairn validate --worktree", "cairn validate --ref origin/main --format json"], exits: .findings)
    )

    @OptionGroup var registry: RegistryOptions

    @Option(name: .long, help: "The revision to read (branch, tag, commit).")
    var ref: String = "HEAD"

    @Flag(name: .long, help: "Read the working tree instead of a commit (unsaved edits included).")
    var worktree = false

    @Option(name: .long, help: "text or json.")
    var format: OutputFormat = .text

    @Flag(name: .long, help: "Log how long each phase took (to standard error).")
    var verbose = false

    func run() async throws {
        let snapshot: RegistrySnapshot
        do {
            let location = try RegistryLocation.open(directory: registry.repo, path: registry.path)
            let source: RegistrySource = worktree ? .worktree : .commit(try location.commit(ref))
            let reader = RegistryReader(location: location)
            snapshot = try reader.read(source)
            ProcessLifetime.keep(reader, snapshot)
        } catch {
            printError("error: \(error)")
            throw ExitStatus.couldNotRun
        }
        if verbose {
            var logger = Logger(label: "cairn.validate")
            logger.logLevel = .debug
            for phase in snapshot.phases {
                logger.debug("\(phase.name): \(String(format: "%.1f", phase.milliseconds)) ms")
            }
            logger.debug("files parsed: \(snapshot.filesParsed), from cache: \(snapshot.filesFromCache)")
        }
        switch format {
        case .text:
            for diagnostic in snapshot.diagnostics { print(diagnostic) }
            let summary = "\(snapshot.artifacts.count) artifacts, \(snapshot.errorCount) error\(snapshot.errorCount == 1 ? "" : "s")"
            print(snapshot.errorCount == 0 ? "ok: \(summary)" : summary)
        case .json:
            print(ValidationJSON.render(snapshot))
        }
        if snapshot.errorCount > 0 { throw ExitStatus.findings }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// The JSON form of a validation run.
enum ValidationJSON {
    static func render(_ snapshot: RegistrySnapshot) -> String {
        let diagnostics = snapshot.diagnostics.map { diagnostic -> JSONValue in
            .object([
                "path": .string(diagnostic.path), "line": .int(diagnostic.line), "column": .int(diagnostic.column),
                "severity": .string(diagnostic.severity.rawValue), "message": .string(diagnostic.message), "rule": .string(diagnostic.rule),
            ])
        }
        let artifacts = snapshot.artifacts.map { artifact -> JSONValue in
            .object([
                "id": .string(artifact.summary.versioned.description), "path": .string(artifact.path),
                "digest": .string("sha256:" + artifact.summary.digest), "blob": .string(artifact.blob.hex),
            ])
        }
        var document: [String: JSONValue] = [
            "valid": .bool(snapshot.errorCount == 0), "errors": .int(snapshot.errorCount),
            "diagnostics": .array(diagnostics), "artifacts": .array(artifacts),
        ]
        if let commit = snapshot.commit { document["commit"] = .string(commit.hex) }
        return JSONValue.object(document).prettyJSON()
    }
}
