import ArgumentParser
import CairnModel
import CairnReconciler
import CairnRegistry
import CairnState
import Foundation
import Git2

/// Options of the commands that read deployed state.
struct ReconcileOptions: ParsableArguments {
    @OptionGroup var registry: RegistryOptions

    @Option(name: .long, help: "The SQLite state file (default: CAIRN_STATE_URL, else state.url of cairn.yaml at HEAD, which must stay inside .cairn/, else .cairn/state.sqlite at the repository root).")
    var state: String?

    @Option(name: .long, help: "The revision whose cairn.yaml (policies, environments) applies.")
    var ref: String = "HEAD"

    /// Everything a reconciling command needs, opened and checked.
    struct Context {
        let location: RegistryLocation
        let commit: ObjectID
        let reconciler: Reconciler
        let store: any StateStore
    }

    /// Opens the registry and the store; with `environment`, it must be one `cairn.yaml` defines. With
    /// `withoutConfig`, a registry with no `cairn.yaml` at all (a GTO repository) opens with no environments. With
    /// `repository`, that one is read instead of the one `--repo` finds (serve's mirror of `--remote`).
    func open(environment: String? = nil, withoutConfig: Bool = false, repository: Repository? = nil) async throws -> Context {
        let location = try repository.map { RegistryLocation(repository: $0, root: registry.path ?? "") }
            ?? RegistryLocation.open(directory: registry.repo, path: registry.path)
        let commit = try location.commit(ref)
        let reader = RegistryReader(location: location)
        var (config, findings) = try reader.config(at: commit)
        if config == nil, withoutConfig, try !reader.hasConfig(at: commit) {
            (config, findings) = (RegistryConfig(environments: []), [])
        }
        guard let config, findings.isEmpty else {
            throw CairnError.invalidConfig(ref: ref)
        }
        if let environment { _ = try config.require(environment: environment) }
        let store = try await StoreOpening.open(StateLocation.address(option: state, location: location, reader: reader))
        return Context(location: location, commit: commit, reconciler: Reconciler(reader: reader, store: store, config: config), store: store)
    }
}

extension ReconcileOptions.Context {
    /// An environment `cairn.yaml` does not define is a typo (an error naming the closest) unless the store holds
    /// something of it (`recorded`, asked only then): one removed from `cairn.yaml` stays readable.
    func requireEnvironment(_ name: String, recorded: () async throws -> Bool) async throws {
        guard reconciler.config.environment(named: name) == nil, try await !recorded() else { return }
        _ = try reconciler.config.require(environment: name)
    }

    /// Who is acting (`Identity.actor`): `--actor`, CAIRN_ACTOR, the CI's identity, git's user, the login name.
    func actor(_ option: String?) -> String { Identity.actor(option: option, repository: location.repository) }
}

/// Runs `body`, printing any error and exiting with the status the map gives it (`ExitStatus.of`), or with
/// `status` when one is given (plan: every failure is 1).
func orExit<T>(_ status: ExitCode? = nil, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        let refused = ExitStatus.of(error) == ExitStatus.findings && !(error is PromptRenderer.Failure)
        printError("\(refused ? "refused" : "error"): \(describe(error))")
        throw status ?? ExitStatus.of(error)
    }
}

/// An error as one readable line: Foundation's file errors and decoding errors print as dumps otherwise.
func describe(_ error: any Error) -> String {
    switch error {
    case let error as CocoaError:
        let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? error.filePath
        let underlying = (error.userInfo[NSUnderlyingErrorKey] as? NSError).map { String(cString: strerror(Int32($0.code))) }
        return [path, underlying ?? error.localizedDescription].compactMap { $0 }.joined(separator: ": ")
    case let error as DecodingError:
        // Where in the document and what was expected, without the dump.
        let context: DecodingError.Context?
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c): context = c
        @unknown default: context = nil
        }
        let path = context?.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined() ?? ""
        let place = path.isEmpty ? "the document" : String(path.drop { $0 == "." })
        return "\(place): \(context?.debugDescription ?? "cannot be read")"
    default:
        return "\(error)"
    }
}
