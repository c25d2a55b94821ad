import CairnManifest
import CairnModel
import CairnRegistry
import CairnState
import Foundation
import Hummingbird

/// What the read API answers from: each environment's deployed rows, read whole from the store in one read (so an
/// apply is seen whole or not at all) and kept in memory while the store's serial and deployed mark say they are
/// current. The check costs two small queries and is made at most every `maxAge` per environment, by whichever request
/// comes first: an apply by this process's agent is seen at once (it invalidates), one by another process or a hand
/// edit of the store within `maxAge`. Nothing is kept on disk, and an answer is always rows the store held.
public final class DeployedReads: @unchecked Sendable {
    public struct Environment: Sendable {
        public let serial: Int
        let mark: [UInt8]?
        /// By id; each row with its content.
        public let rows: [ArtifactID: StoredArtifact]
        /// Sorted by id.
        public let sorted: [StoredArtifact]
        fileprivate(set) var checked: ContinuousClock.Instant
        /// What was made from these rows, kept with them (and gone with them when the store changes).
        let made = Made()

        /// What `make` makes of these rows for `id`, made once per version of the rows and kept in `table`.
        func memo<Value>(_ table: ReferenceWritableKeyPath<Made, [ArtifactID: Value]>, _ id: ArtifactID, _ make: () throws -> Value) rethrows -> Value {
            if let known = made.lock.withLock({ made[keyPath: table][id] }) { return known }
            let value = try make()
            made.lock.withLock { made[keyPath: table][id] = value }
            return value
        }

        /// The answer for `id`.
        public func body(of id: ArtifactID, _ make: () -> ByteBuffer) -> ByteBuffer { memo(\.bodies, id, make) }

        /// The typed model of a row's content.
        public func spec(of row: StoredArtifact) throws -> Artifact.Spec {
            let id = row.artifact.version.id
            return try memo(\.specs, id) {
                guard let kind = id.kind else { throw CairnError.undecodable(row.artifact.version) }
                return try ArtifactDecoder.decode(try JSONValue.parse(json: Data(row.artifact.content.utf8)), kind: kind).spec
            }
        }

        /// A deployed prompt ready to render (nil when the row is not a prompt).
        public func prompt(of row: StoredArtifact) throws -> PromptRenderer.Prepared? {
            try memo(\.prompts, row.artifact.version.id) {
                guard case .promptTemplate(let template) = try self.spec(of: row) else { return nil }
                return PromptRenderer.Prepared(template)
            }
        }
    }

    /// Memo of one version of an environment's rows.
    public final class Made: @unchecked Sendable {
        let lock = NSLock()
        var bodies: [ArtifactID: ByteBuffer] = [:]
        var specs: [ArtifactID: Artifact.Spec] = [:]
        var prompts: [ArtifactID: PromptRenderer.Prepared?] = [:]
        /// By prompt: the deployment whose `runtime.fallback` applies to it (the read API's).
        var fallbacks: [ArtifactID: FallbackSite?] = [:]
    }

    /// The deployment whose `runtime.fallback` applies to a prompt: the first (by id) that runs it, directly or
    /// through its chain.
    struct FallbackSite: Sendable {
        let deployment: ArtifactID
        let text: String
        let reference: ArtifactReference?
    }

    let store: any StateStore
    let maxAge: Duration
    private let lock = NSLock()
    private var environments: [String: Environment] = [:]

    public init(store: any StateStore, maxAge: Duration = .milliseconds(200)) {
        self.store = store
        self.maxAge = maxAge
    }

    /// The environment's rows as the store holds them (at most `maxAge` ago).
    public func environment(_ name: String) async throws -> Environment {
        let now = ContinuousClock.now
        if let known = lock.withLock({ environments[name] }), now - known.checked < maxAge { return known }
        // Serial and mark first, rows after: rows newer than the serial only cost a reload at the next check.
        let serial = try await store.serial(environment: name)
        let mark = try await store.deployedMark(environment: name)
        if var known = lock.withLock({ environments[name] }), known.serial == serial, known.mark == mark, mark != nil || serial == 0 {
            known.checked = now
            lock.withLock { environments[name] = known }
            return known
        }
        let rows = try await store.deployed(environment: name, content: true)
        let fresh = Environment(serial: serial, mark: mark, rows: Dictionary(rows.map { ($0.artifact.version.id, $0) }) { first, _ in first },
                                sorted: rows.sorted { $0.artifact.version.id < $1.artifact.version.id }, checked: now)
        lock.withLock { environments[name] = fresh }
        return fresh
    }

    /// Forgets what is kept of `name` (this process applied it).
    public func invalidate(_ name: String) {
        lock.withLock { environments[name] = nil }
    }
}
