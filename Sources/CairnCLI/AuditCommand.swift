import ArgumentParser
import CairnModel
import CairnReconciler
import CairnState
import Foundation

/// `cairn audit`: read, verify and export the audit trail.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Read, verify and export the audit trail.",
        discussion: Help.text(examples: ["cairn audit log --env production --since 2026-03-03", "cairn audit verify"], exits: .done),
                                                    subcommands: [Log.self, Verify.self, Export.self, Anchor.self, RetireAnchor.self])

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "log", abstract: "List audit records.",
        discussion: Help.text(examples: ["cairn audit log --env production --since 2026-03-03T00:00:00Z --until 2026-03-04T00:00:00Z", "cairn audit log --artifact prompt/support-triage --format json"], exits: .done))

        @Option(name: .long, help: "Only this environment.", completion: Completion.environments) var env: String?
        @Option(name: .long, help: "Only this artifact (KIND/NAME or KIND/NAME@VERSION).") var artifact: String?
        @Option(name: .long, help: "From this time (RFC 3339 or seconds since 1970).") var since: String?
        @Option(name: .long, help: "Until this time (RFC 3339 or seconds since 1970).") var until: String?
        @Option(name: .long, help: "text or json.") var format: OutputFormat = .text
        @OptionGroup var options: ReconcileOptions

        func run() async throws {
            let records = try await orExit {
                let query = AuditQuery(environment: env, artifact: artifact, since: try since.map(parseTime), until: try until.map(parseTime))
                let context = try await options.open(withoutConfig: true)
                let records = try await context.store.auditRecords(query)
                if let env, records.isEmpty {
                    try await context.requireEnvironment(env) { try await !context.store.auditRecords(AuditQuery(environment: env)).isEmpty }
                }
                return records
            }
            switch format {
            case .json: print(JSONValue.array(records.map(AuditJSON.value)).prettyJSON())
            case .text:
                for record in records {
                    print("#\(record.sequence) \(Timestamp.text(record.time)) \(record.actor) \(record.action) \(record.environment) \(record.artifact)"
                          + (record.tag.isEmpty ? "" : " (\(record.tag))") + (record.action == AuditAction.refuse.rawValue ? ": \(record.compliance)" : ""))
                }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check the hash chain; name the first record that does not verify.",
                                                        discussion: Help.text("Exit status: 0 intact, 1 broken, 2 could not run.", examples: ["cairn audit verify"], exits: .findings))
        @OptionGroup var options: ReconcileOptions

        func run() async throws {
            let (result, anchors) = try await orExit {
                let context = try await options.open(withoutConfig: true)
                return (try await context.store.verifyAudit(), try await AuditAnchor.check(store: context.store, repository: context.location.repository))
            }
            for line in anchors.retired { print("note: \(line)") }
            if let bad = result.firstBad {
                print("audit chain BROKEN at record #\(bad.sequence): \(bad.reason)")
                throw ExitStatus.findings
            }
            if let problem = anchors.problem {
                print("audit chain BROKEN: \(problem)")
                throw ExitStatus.findings
            }
            print("audit chain intact: \(result.records) records, head \(result.headHash)")
        }
    }

    struct RetireAnchor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retire-anchor",
            abstract: "Set a bad anchor aside (tag cairn-audit-retired/N with actor and reason, and an audit record); anchors are never deleted.",
        discussion: Help.text(examples: ["cairn audit retire-anchor 12 --reason \"anchored against a restored backup\""], exits: .done))
        @Argument(help: "The anchor's number N (tag cairn-audit/N).") var sequence: Int64
        @Option(name: .long, help: "Why the anchor is set aside (kept in the tag and the audit trail).") var reason: String
        @Option(name: .long, help: "Who retires it (default: as for apply).") var actor: String?
        @OptionGroup var options: ReconcileOptions

        func run() async throws {
            let name = try await orExit {
                let context = try await options.open(withoutConfig: true)
                return try await AuditAnchor.retire(sequence: sequence, reason: reason, store: context.store, repository: context.location.repository,
                                              commit: context.commit, actor: context.actor(actor), now: Int64(Date().timeIntervalSince1970))
            }
            print("retired cairn-audit/\(sequence) with tag \(name); push it with your other tags")
        }
    }

    struct Anchor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "anchor",
            abstract: "Record the chain's head in git (tag cairn-audit/N) so a truncated tail is detected by verify.",
        discussion: Help.text(examples: ["cairn audit anchor && git push origin --tags"], exits: .done))
        @Option(name: .long, help: "Who anchors (default: as for apply).") var actor: String?
        @OptionGroup var options: ReconcileOptions

        func run() async throws {
            let name = try await orExit {
                let context = try await options.open(withoutConfig: true)
                return try await AuditAnchor.write(store: context.store, repository: context.location.repository, commit: context.commit,
                                             actor: context.actor(actor), now: Int64(Date().timeIntervalSince1970))
            }
            guard let name else {
                printError("refused: nothing to anchor (the trail is empty or does not verify; run 'cairn audit verify')")
                throw ExitStatus.findings
            }
            print("anchored the audit head as tag \(name); push it with your other tags")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Export every audit record as JSON Lines or CSV.",
        discussion: Help.text(examples: ["cairn audit export --format csv > audit.csv"], exits: .done))
        @Option(name: .long, help: "jsonl or csv.") var format: ExportFormat = .jsonl
        @OptionGroup var options: ReconcileOptions

        enum ExportFormat: String, ExpressibleByArgument { case jsonl, csv }

        func run() async throws {
            let records = try await orExit { try await options.open(withoutConfig: true).store.auditRecords(AuditQuery()) }
            switch format {
            case .jsonl:
                for record in records { print(AuditJSON.value(record).canonicalJSON) }
            case .csv:
                print(AuditJSON.fields.joined(separator: ","))
                for record in records {
                    print(AuditJSON.row(record).map(Self.csvField).joined(separator: ","))
                }
            }
        }

        static func csvField(_ text: String) -> String {
            text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingEvery("\"", with: "\"\"") + "\"" : text
        }
    }
}

/// RFC 3339 or seconds since 1970.
func parseTime(_ text: String) throws -> Int64 {
    if let seconds = Int64(text) ?? Timestamp.seconds(text) { return seconds }
    throw ValidationError("'\(text)' is not a time; write 2026-03-03T12:00:00Z, 2026-03-03 or seconds since 1970")
}
