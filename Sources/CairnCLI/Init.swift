import ArgumentParser
import CairnRegistry
import Foundation
import Git2

/// `cairn init`: scaffold a registry that validates clean; in a new repository, committed and ready to register.
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Scaffold a registry: cairn.yaml (dev, staging, production) and one artifact of each kind.",
        discussion: Help.text("In a folder that is in no git repository, init makes one (branch main) and commits the registry as its first commit. Inside an existing repository it writes the files only.",
                              examples: ["cairn init registry && cd registry && cairn register --all"], exits: .done))

    @Argument(help: "The folder to create or fill (it must not already hold a cairn.yaml).")
    var directory: String

    @Option(name: .long, help: "Who makes the first commit when git's user.name is not set (default: CAIRN_ACTOR, the CI's identity, the login name).")
    var actor: String?

    func run() async throws {
        let outcome: Scaffold.Outcome
        do {
            outcome = try Scaffold.write(to: directory) { repository in
                // git's identity; else who is acting, with EMAIL or name@localhost (git's own fallback is user@host).
                if let configured = try? repository.defaultSignature(), !configured.email.isEmpty { return configured }
                let name = Identity.actor(option: actor, repository: repository).filter { $0 != "<" && $0 != ">" }
                let email = ProcessInfo.processInfo.environment["EMAIL"].flatMap { $0.isEmpty ? nil : $0 }
                    ?? name.filter { !$0.isWhitespace } + "@localhost"
                return Signature(name: name, email: email, time: Int64(Date().timeIntervalSince1970))
            }
        } catch {
            printError("error: \(error)")
            throw ExitStatus.couldNotRun
        }
        for path in outcome.written { print("created \(path)") }
        let folder = directory == "." ? nil : directory
        var steps: [String] = []
        if let folder { steps.append("cd \(folder)") }
        if let commit = outcome.firstCommit {
            print("initialized a git repository on branch main and committed the registry (\(commit.short))")
        } else {
            steps.append("git add -A && git commit -m \"cairn registry\"")
        }
        steps += [
            "cairn validate                                   # the registry at HEAD",
            "cairn register --all                             # a tag for each version",
            "cairn promote deployment/greeter@0.1.0 --to dev  # with everything it pins",
            "cairn apply --env dev                            # shows the plan, asks, applies",
            "cairn status --env dev",
            "cairn evidence add deployment/greeter@0.1.0 --metric accuracy --value 0.9 --dataset dataset/eval-set@0.1.0  # staging's gate counts it",
            "cairn approve deployment/greeter@0.1.0 --env production  # production counts it once signed: --sign, with git's user.signingKey",
            "cairn hooks install                              # validate before each commit and push",
        ]
        print("\nNext steps:")
        for step in steps { print("  " + step) }
        print("Shipping a new prompt version (bump, check, promote, roll back): see the README.")
    }
}
