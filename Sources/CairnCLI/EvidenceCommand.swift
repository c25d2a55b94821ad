import ArgumentParser
import CairnModel
import CairnReconciler
import CairnTrust
import Foundation

/// `cairn evidence`: record evaluations of a registered version, and list the evidence about one.
struct EvidenceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evidence", abstract: "Record and list evidence (evaluations, approvals) about registered versions.",
        discussion: Help.text("Evidence is kept in tags of its own (cairn-eval/..., cairn-approval/...), bound to the version's content digest, so a registered version never changes to receive it; push it with git push --tags.",
                              examples: ["cairn evidence add deployment/support-bot@1.4.0 --metric accuracy --value 0.93 --dataset dataset/triage-eval-set@1.2.0 --sign",
                                         "cairn evidence list deployment/support-bot@1.4.0 --format json"], exits: .done),
        subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Record an evaluation of a registered version.",
            discussion: Help.text("With --from-promptfoo or --from-lm-eval the value is read from the tool's results file (promptfoo: pass-rate or a named metric; lm-evaluation-harness: TASK/METRIC), whose digest is recorded.",
                                  examples: ["cairn evidence add deployment/support-bot@1.4.0 --metric accuracy --value 0.93 --threshold 0.9 --dataset dataset/triage-eval-set@1.2.0",
                                             "cairn evidence add prompt/support-triage@1.3.0 --metric pass-rate --from-promptfoo results.json --sign",
                                             "cairn evidence add adapter/triage-lora@1.1.0 --metric hellaswag/acc_norm --from-lm-eval results.json"], exits: .done))

        @Argument(help: "KIND/NAME@VERSION", completion: Completion.versions) var version: String
        @Option(name: .long, help: "The metric (with an importer: which of the file's metrics).") var metric: String
        @Option(name: .long, help: "The measured value (not with an importer).") var value: Double?
        @Option(name: .long, help: "The threshold it was judged against.") var threshold: Double?
        @Flag(name: .long, help: "Lower is better (the threshold is a maximum).") var atMost = false
        @Option(name: .long, help: "The dataset evaluated on, dataset/NAME@VERSION (registered).") var dataset: String?
        @Option(name: .long, help: "The evaluation suite's name.") var suite: String?
        @Option(name: .long, help: "Read the value from promptfoo's JSON output.") var fromPromptfoo: String?
        @Option(name: .customLong("from-lm-eval"), help: "Read the value from lm-evaluation-harness's results JSON.") var fromLmEval: String?
        @Option(name: .long, help: "A note kept with the record.") var note: String?
        @OptionGroup var tagging: TagWritingOptions

        func run() async throws {
            let parsed = try parseVersion(version)
            let datasetVersion = try dataset.map { try parseVersion($0) }
            let sources = [value.map { _ in "--value" }, fromPromptfoo.map { _ in "--from-promptfoo" }, fromLmEval.map { _ in "--from-lm-eval" }].compactMap { $0 }
            guard sources.count == 1 else {
                printError("error: give the value with exactly one of --value V, --from-promptfoo FILE, --from-lm-eval FILE" + (sources.isEmpty ? "" : " (given: \(sources.joined(separator: ", ")))"))
                throw ExitStatus.couldNotRun
            }
            try await tagging.run { lifecycle, _ in
                var measurement = Lifecycle.Measurement(metric: metric, value: value ?? 0, dataset: datasetVersion)
                (measurement.threshold, measurement.direction, measurement.suite, measurement.note) = (threshold, atMost ? "atMost" : nil, suite, note)
                if let path = fromPromptfoo ?? fromLmEval {
                    let bytes = try readResults(path)
                    let imported = fromPromptfoo != nil ? try EvaluationImport.promptfoo(bytes, metric: metric) : try EvaluationImport.lmEvaluationHarness(bytes, metric: metric)
                    measurement.value = imported.value
                    measurement.tool = imported.tool
                    measurement.suite = suite ?? imported.suite
                    measurement.details = imported.details
                    measurement.source = (URL(fileURLWithPath: path).lastPathComponent, bytes)
                }
                return try await lifecycle.recordEvaluation(of: parsed, measurement)
            }
        }

        /// The results file, refused before it is read when it is larger than the importers take.
        func readResults(_ path: String) throws -> [UInt8] {
            let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue
            guard let size else { throw CairnError.noSuchPath(path) }
            guard size <= EvaluationImport.largestFile else {
                throw CairnError.unreadableFile(path: path, line: 1, column: 1, message: "larger than \(EvaluationImport.largestFile >> 20) MiB")
            }
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the evidence about a registered version, with its signers.",
            discussion: Help.text(examples: ["cairn evidence list deployment/support-bot@1.4.0", "cairn evidence list prompt/support-triage@1.3.0 --format json"], exits: .done))

        @Argument(help: "KIND/NAME@VERSION", completion: Completion.versions) var version: String
        @Option(name: .long, help: "text or json.") var format: OutputFormat = .text
        @OptionGroup var options: ReconcileOptions

        func run() async throws {
            let parsed = try parseVersion(version)
            let listing = try await orExit {
                let context = try await options.open()
                return try await EvidenceListing.read(parsed, reader: context.reconciler.reader, config: context.reconciler.config,
                                                      policyCommit: context.commit, store: context.store)
            }
            switch format {
            case .json: print(listing.json.prettyJSON())
            case .text:
                print("\(listing.version) (sha256:\(listing.digest.prefix(12))): \(listing.items.count) record\(listing.items.count == 1 ? "" : "s")")
                for line in listing.text { print(line) }
            }
        }
    }
}

/// `cairn approve`: record an approval of a registered version, optionally for one environment.
struct ApproveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "approve", abstract: "Approve a registered version (an evidence tag bound to its digest).",
        discussion: Help.text("minApprovals counts distinct signers of approvals for the exact digest (and the environment, when one is named); sign with --sign.",
                              examples: ["cairn approve deployment/support-bot@1.4.0 --env production --comment \"reviewed eval report\" --sign"], exits: .done))

    @Argument(help: "KIND/NAME@VERSION", completion: Completion.versions) var version: String
    @Option(name: .long, help: "The environment approved for (default: any).", completion: Completion.environments) var env: String?
    @Option(name: .long, help: "A comment kept with the approval.") var comment: String?
    @OptionGroup var tagging: TagWritingOptions

    func run() async throws {
        let parsed = try parseVersion(version)
        try await tagging.run { lifecycle, _ in try await lifecycle.approve(parsed, environment: env, comment: comment) }
    }
}
