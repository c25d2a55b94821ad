/// The end of every command's `--help`: examples, and the exit statuses it uses (the README's table).
enum Help {
    enum Exits {
        /// `plan`: Terraform's `-detailed-exitcode`.
        case plan
        /// validate, check, hooks run, audit verify: findings are 1.
        case findings
        /// Every other command: a refusal is 1.
        case done

        var text: String {
            switch self {
            case .plan: "Exit status: 0 no changes, 2 changes to apply, 1 anything that went wrong (problems, no repository, a bad ref)."
            case .findings: "Exit status: 0 clean, 1 findings, 2 could not run (no repository, a bad ref or argument, an unreadable file)."
            case .done: "Exit status: 0 done (also when there was nothing to do), 1 refused (a policy, a rule, a held lease), 2 could not run."
            }
        }
    }

    static func text(_ discussion: String? = nil, examples: [String], exits: Exits) -> String {
        ([discussion].compactMap { $0 } + ["Examples:\n" + examples.map { "  " + $0 }.joined(separator: "\n"), exits.text]).joined(separator: "\n\n")
    }
}
