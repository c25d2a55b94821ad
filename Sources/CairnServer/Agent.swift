import CairnModel
import CairnReconciler
import CairnRegistry
import CairnState
import Foundation
import Git2
import Logging
import ServiceLifecycle

/// The GitOps agent: every `interval` (with ±10% jitter, so that agents on one remote spread out), or at once when a
/// webhook wakes it, it fetches the remote into its mirror (with `--remote`), then applies each environment whose
/// policy says `sync: auto` (in cairn.yaml at HEAD) when its plan has changes, through the same checks and atomic
/// apply as `cairn apply`, under the environment's lease (one reconcile per environment at a time, across every agent
/// and CI job on the store); the other environments are planned, for `cairn_environment_synced`.
/// A failure is recorded and retried with exponential backoff (the interval doubled per failure, at most 16 times it);
/// a refusal waits for git to change. Each reconciliation goes into the environment's history in the store
/// (`StateStore.recordReconciliation`), shared with the other agents and shown by `cairn status`. On graceful
/// shutdown (SIGTERM) an apply in progress finishes (it is atomic and short), and the loop stops.
public struct Agent: Service {
    let reader: RegistryReader
    let store: any StateStore
    let interval: Duration
    let actor: String
    let logger: Logger
    let mirror: Mirror?
    let wakeup: Wakeup
    let status: ServeStatus
    /// With `--export-dir`: each environment's export (`DeployedExport`) is kept at `DIRECTORY/ENV`.
    let exportDirectory: String?
    let leaseSeconds: Int
    /// The read API's rows, forgotten for an environment once this agent applied it.
    let reads: DeployedReads?

    public init(reader: RegistryReader, store: any StateStore, interval: Duration, actor: String, logger: Logger,
                mirror: Mirror? = nil, wakeup: Wakeup = Wakeup(), status: ServeStatus = ServeStatus(), exportDirectory: String? = nil,
                leaseSeconds: Int = Reconciler.defaultLeaseSeconds, reads: DeployedReads? = nil) {
        self.reader = reader
        self.store = store
        self.interval = interval
        self.actor = actor
        self.logger = logger
        self.mirror = mirror
        self.wakeup = wakeup
        self.status = status
        self.exportDirectory = exportDirectory
        self.leaseSeconds = leaseSeconds
        self.reads = reads
    }

    public func run() async throws {
        var failures: [String: Int] = [:]
        var waitUntil: [String: ContinuousClock.Instant] = [:]
        var refusedAt: [String: String] = [:]
        while !Task.isShuttingDownGracefully {
            if let mirror { await mirror.fetch(recordingIn: status, logger: logger) }
            let now = ContinuousClock.now
            do {
                let head = try reader.location.commit("HEAD")
                // A GTO repository (no cairn.yaml) has no environment to sync: only the read API is served.
                if try reader.hasConfig(at: head) {
                    guard let config = try reader.config(at: head).config else { throw CairnError.invalidConfig(ref: "HEAD") }
                    for environment in config.environments {
                        let name = environment.name
                        guard environment.policy.autoSync else {
                            await observe(name, head: head, config: config)
                            continue
                        }
                        if let until = waitUntil[name], until > now { continue }
                        // A refusal stands until git moves: the same revision would be refused again.
                        if refusedAt[name] == head.hex { continue }
                        let result = await reconcile(name, head: head, config: config)
                        switch result.result {
                        case .failed:
                            failures[name, default: 0] += 1
                            waitUntil[name] = now + interval * (1 << min(failures[name]!, 4))
                        case .refused:
                            refusedAt[name] = head.hex
                            failures[name] = 0
                        default:
                            failures[name] = 0
                            waitUntil[name] = nil
                            refusedAt[name] = nil
                        }
                    }
                    if let exportDirectory { await export(config.environments.map(\.name), to: exportDirectory) }
                }
            } catch {
                logger.warning("the agent could not read the registry at HEAD: \(error)")
            }
            let jittered = interval * Double.random(in: 0.9...1.1)
            try? await cancelWhenGracefulShutdown { await wakeup.wait(for: jittered) }
        }
    }

    /// Writes each environment's export (a store that changed by another agent's or a person's apply is exported too).
    func export(_ environments: [String], to directory: String) async {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for environment in environments where ArtifactID.isValidName(environment) {
            do {
                _ = try await DeployedExport.write(environment: environment, store: store, to: directory + "/" + environment)
            } catch {
                logger.warning("exporting '\(environment)' to \(directory) failed: \(error)")
            }
        }
    }

    /// Plans an environment the agent does not apply, for the synced gauge.
    func observe(_ environment: String, head: ObjectID, config: RegistryConfig) async {
        guard let plan = try? await Reconciler(reader: reader, store: store, config: config).plan(environment: environment, commit: head).plan else { return }
        ServeMetrics.synced(environment, plan.actions.isEmpty && plan.problems.isEmpty)
    }

    /// Plans and, when there are changes (or problems, for apply to refuse and audit), applies one environment;
    /// records what happened. An environment in sync is only planned: no lease is taken, nothing is written.
    func reconcile(_ environment: String, head: ObjectID, config: RegistryConfig) async -> Reconciliation {
        let start = ContinuousClock.now
        let result: Reconciliation.Result, changes: Int, message: String?
        var declaredDigest = ""
        var how = ""
        let reconciler = Reconciler(reader: reader, store: store, config: config)
        do {
            // On the last plan or apply when the store is as that left it: after an apply, only what changed in git since
            // is compared.
            let planned = try await reconciler.plan(environment: environment, commit: head, sinceLastPlan: true)
            how = " (declared state \(planned.resolution), planned in \(Int(((ContinuousClock.now - start) / .milliseconds(1)).rounded())) ms)"
            declaredDigest = planned.declaredDigest()
            if planned.plan.actions.isEmpty && planned.plan.problems.isEmpty {
                (result, changes, message) = (.inSync, 0, nil)
            } else {
                // Applied as cairn apply does: planned again under the lease, so what is written is what the store holds then.
                // The declared state just resolved is reused (`loaded`): its content is not read twice.
                switch try await reconciler.apply(environment: environment, commit: head, expected: nil, actor: actor, allowEmpty: false,
                                                     loaded: planned.declared, leaseSeconds: leaseSeconds) {
                case .noChanges: (result, changes, message) = (.inSync, 0, nil)
                case .applied(_, let actions):
                    (result, changes, message) = (.applied, actions, nil)
                    reads?.invalidate(environment)
                }
            }
        } catch let refusal as Reconciler.Refusal {
            (result, changes, message) = (.refused, 0, refusal.description)
        } catch let state as StateError {
            if case .leaseHeld = state { (result, changes, message) = (.busy, 0, state.description) } else { (result, changes, message) = (.failed, 0, state.description) }
        } catch {
            (result, changes, message) = (.failed, 0, "\(error)")
        }
        let elapsed = ContinuousClock.now - start
        let reconciliation = Reconciliation(environment: environment, revision: head.hex, declaredDigest: declaredDigest, result: result,
                                            changes: changes, message: message, milliseconds: Int((elapsed / .milliseconds(1)).rounded()),
                                            at: Int64(Date().timeIntervalSince1970), agent: "\(actor) on \(LeaseHolder.current.host)")
        if result == .applied || result == .failed || result == .refused {
            logger.notice("\(environment): \(result.rawValue)\(changes > 0 ? " \(changes) changes" : "")\(message.map { ": \($0)" } ?? "") at \(head.short)\(how)")
        }
        ServeMetrics.reconciled(reconciliation, duration: elapsed)
        do {
            try await store.recordReconciliation(reconciliation)
        } catch {
            logger.warning("recording the reconciliation of \(environment) failed: \(error)")
        }
        return reconciliation
    }
}

extension Mirror {
    /// One fetch of the remote, timed and recorded for `/readyz` and `/metrics`; a failure is logged and returned
    /// (the last fetched state goes on being served and reconciled).
    @discardableResult
    public func fetch(recordingIn status: ServeStatus, logger: Logger) async -> String? {
        let start = ContinuousClock.now
        var updated = 0, failure: String?
        do {
            updated = try await blocking { try self.fetch().updated }
        } catch {
            failure = "\(error)"
            logger.warning("fetching \(url) failed: \(error)")
        }
        let elapsed = ContinuousClock.now - start
        ServeMetrics.fetched(duration: elapsed, failed: failure != nil)
        await status.record(ServeStatus.Fetch(at: Int64(Date().timeIntervalSince1970), error: failure,
                                              milliseconds: Int((elapsed / .milliseconds(1)).rounded()), updated: updated))
        return failure
    }
}

/// Runs libgit2 work that waits on the network on a thread of its own, not one of the few that run Swift's tasks
/// (and the HTTP handlers).
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
