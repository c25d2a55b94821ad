import CairnManifest
import Dispatch
import CairnModel
import Git2

/// A registry as read at one commit (or the worktree): its configuration, artifacts and findings.
public struct RegistrySnapshot: Sendable {
    /// One artifact file.
    public struct Artifact: Sendable {
        /// Repository-relative path.
        public let path: String
        public let blob: ObjectID
        public let summary: ArtifactSummary

        public init(path: String, blob: ObjectID, summary: ArtifactSummary) {
            self.path = path
            self.blob = blob
            self.summary = summary
        }
    }

    public let commit: ObjectID?
    public let config: RegistryConfig?
    public let artifacts: [Artifact]
    /// Sorted by path, line, column.
    public let diagnostics: [Diagnostic]
    public let filesParsed: Int
    public let filesFromCache: Int
    /// How long each phase of the read took, in order (for `--verbose` and benchmarks).
    public let phases: [(name: String, milliseconds: Double)]

    public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
}

/// Measures consecutive phases of work with a monotonic clock.
struct PhaseClock {
    private(set) var phases: [(name: String, milliseconds: Double)] = []
    private var last = DispatchTime.now().uptimeNanoseconds

    mutating func mark(_ name: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        phases.append((name, Double(now - last) / 1_000_000))
        last = now
    }
}
