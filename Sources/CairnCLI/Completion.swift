import ArgumentParser
import CairnModel
import CairnRegistry
import Foundation

/// Shell completion of the names a registry has: environments from `cairn.yaml` at HEAD, artifacts and registered
/// versions from the tags. The shell asks the binary when TAB is pressed; the registry is found as every command finds
/// it (`--repo` and `--path` on the line, else the current folder). Nothing found is no candidates, never an error.
enum Completion {
    static let environments = CompletionKind.custom { words, _, prefix in names(words, prefix) { ledger, config in config?.environments.map(\.name) ?? ledger.environments } }
    static let artifacts = CompletionKind.custom { words, _, prefix in names(words, prefix) { ledger, _ in ledger.rows.map(\.id.description) } }
    static let versions = CompletionKind.custom { words, _, prefix in
        names(words, prefix) { ledger, _ in
            ledger.rows.flatMap { row in (ledger.versions(of: row.id) ?? []).map { "\(row.id)@\($0.version.dropFirst())" } }
        }
    }

    /// The value after `option` on the command line, if any.
    static func value(of option: String, in words: [String]) -> String? {
        guard let index = words.firstIndex(of: option), index + 1 < words.count else { return nil }
        return words[index + 1]
    }

    static func names(_ words: [String], _ prefix: String, _ pick: (TagLedger, RegistryConfig?) -> [String]) -> [String] {
        guard let location = try? RegistryLocation.open(directory: value(of: "--repo", in: words) ?? ".", path: value(of: "--path", in: words)) else { return [] }
        let reader = RegistryReader(location: location)
        guard let events = try? reader.tagEvents() else { return [] }
        let config = (try? location.commit("HEAD")).flatMap { try? reader.config(at: $0).config }
        return pick(TagLedger(events, configured: config?.environments.map(\.name) ?? []), config).filter { $0.hasPrefix(prefix) }.sorted()
    }
}
