import ArgumentParser
import CairnModel
import CairnReconciler
import CairnRegistry
import CairnState
import Foundation
import Git2

/// `cairn hooks`: git hooks that call cairn, and `cairn hooks run NAME`, which they call.
struct HooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooks",
        abstract: "Install cairn's git hooks, or run one (the hooks call 'cairn hooks run NAME').",
        discussion: Help.text(examples: ["cairn hooks install", "cp hooks/pre-receive /srv/git/registry.git/hooks/"], exits: .done),
        subcommands: [Install.self, Run.self])

    /// The client hooks `install` writes; pre-receive belongs on the server (copy hooks/pre-receive there).
    static let clientHooks = ["pre-commit", "pre-push"]

    /// What each hook does, for its header line.
    static let purposes = [
        "pre-commit": "validate the registry as staged, before each commit",
        "pre-push": "run 'cairn check' on the commits being pushed",
        "pre-receive": "on the server: refuse branch updates that fail 'cairn check' and tags that break the grammar or the promotion rules",
    ]

    /// The text of hook `name`, calling `command` (the files in hooks/ are this with "cairn").
    static func script(_ name: String, command: String) -> String {
        """
        #!/bin/sh
        # cairn \(name) hook: \(purposes[name]!).
        # Installed by 'cairn hooks install'; CAIRN overrides the command, 'git config cairn.path' names the registry folder.
        exec "${CAIRN:-\(command)}" hooks run \(name) "$@"

        """
    }

    /// This binary's absolute path, for the hooks to call: the running executable as the system reports it, else
    /// argv[0] resolved as the shell did (through PATH when it has no slash).
    static func executablePath() -> String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), resolved.hasPrefix("/") {
            return resolved
        }
        let invoked = CommandLine.arguments[0]
        if !invoked.contains("/") {
            for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
                let candidate = "\(folder)/\(invoked)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate).standardizedFileURL.path }
            }
        }
        return URL(fileURLWithPath: invoked).standardizedFileURL.path
    }

    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "install", abstract: "Write the pre-commit and pre-push hooks into this repository.",
        discussion: Help.text(examples: ["cairn hooks install --path registry"], exits: .done))

        @OptionGroup var registry: RegistryOptions

        @Flag(name: .long, help: "Replace hooks that are already there.")
        var force = false

        func run() async throws {
            try await orExit {
                let repository = try Repository.discover(from: registry.repo)
                // git runs hooks from core.hooksPath when it is set; installing beside it would run nothing.
                let hooks = URL(fileURLWithPath: try repository.hooksDirectory())
                try FileManager.default.createDirectory(at: hooks, withIntermediateDirectories: true)
                let command = HooksCommand.executablePath()
                for name in HooksCommand.clientHooks {
                    let file = hooks.appendingPathComponent(name)
                    let text = HooksCommand.script(name, command: command)
                    if FileManager.default.fileExists(atPath: file.path), !force, (try? String(contentsOf: file, encoding: .utf8)) != text {
                        throw CairnError.fileExists(path: file.path, fix: "it is not cairn's; pass --force to replace it")
                    }
                    try text.write(to: file, atomically: true, encoding: .utf8)
                    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
                    print("installed \(file.path)")
                }
                if let path = registry.path {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    process.arguments = ["git", "-C", registry.repo, "config", "cairn.path", path]
                    try process.run()
                    process.waitUntilExit()
                    print("git config cairn.path \(path)")
                }
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Run one hook (git calls this through the installed scripts).",
        discussion: Help.text(examples: ["cairn hooks run pre-commit"], exits: .findings))

        @Argument(help: "pre-commit, pre-push or pre-receive.")
        var name: String

        @Argument(parsing: .captureForPassthrough, help: "What git passed to the hook.")
        var arguments: [String] = []

        func run() async throws {
            let lines = name == "pre-commit" ? [] : String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                .split(separator: "\n")
            let problems: [String] = try await orExit {
                // git runs hooks with GIT_DIR set; a server keeps a push's objects in quarantine until its hook accepts them.
                let repository = try Repository.openFromEnvironment()
                let path = (try? repository.configValue("cairn.path")).flatMap { $0.isEmpty ? nil : $0 }
                let location = RegistryLocation(repository: repository, root: path ?? "")
                let reader = RegistryReader(location: location)
                switch name {
                case "pre-commit":
                    let staged = try location.repository.commitIndex(message: "cairn pre-commit: the staged registry")
                    let snapshot = try reader.read(.commit(staged))
                    return snapshot.diagnostics.filter { $0.severity == .error }.map(\.description)
                case "pre-push":
                    return try PullRequestCheck.prePush(lines, reader: reader)
                case "pre-receive":
                    // The policies of the server's default branch (HEAD may name a branch that does not exist yet).
                    let policy = ["HEAD", "refs/heads/main", "refs/heads/master"].lazy
                        .compactMap { try? location.repository.resolveCommit($0) }
                        .compactMap { commit in (try? reader.config(at: commit).config).map { (commit, $0) } }.first
                    let updates = lines.compactMap(ReceiveCheck.Update.init(line:))
                    var store: (any StateStore)?
                    if let address = try StateLocation.serverAddress(repository: repository) { store = try await StoreOpening.open(address) }
                    return try await ReceiveCheck(reader: reader, updates: updates, config: policy?.1, policyCommit: policy?.0, store: store).rejections
                default:
                    throw CairnError.unknownName(kind: "hook", name: name, known: ["pre-commit", "pre-push", "pre-receive"])
                }
            }
            guard !problems.isEmpty else { return }
            for problem in problems { printError("cairn \(name): \(problem)") }
            printError("cairn \(name): refused (\(problems.count) problem\(problems.count == 1 ? "" : "s"))")
            throw ExitStatus.findings
        }
    }
}
