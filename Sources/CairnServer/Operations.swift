import CairnState
import Foundation
import Metrics
import Prometheus

/// What `/readyz` judges by: when the agent last fetched the remote, and whether that worked.
public actor ServeStatus {
    public struct Fetch: Sendable {
        /// Seconds since 1970.
        public let at: Int64
        public let error: String?
        public let milliseconds: Int
        public let updated: Int
    }

    public private(set) var lastFetch: Fetch?
    public private(set) var lastGoodFetch: ContinuousClock.Instant?

    public init() {}

    func record(_ fetch: Fetch) {
        lastFetch = fetch
        if fetch.error == nil { lastGoodFetch = .now }
    }
}

/// The Prometheus registry `/metrics` prints, and the names cairn's metrics go by. Hummingbird's request metrics are
/// renamed to cairn's (`cairn_http_request_duration_seconds{route,method,status}`), so that one prefix finds them all.
public enum ServeMetrics {
    public static let registry = PrometheusCollectorRegistry()

    private static let bootstrapped: Bool = {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.nameAndLabelSanitizer = { name, labels in
            (names[name] ?? name, labels.map { (labelNames[$0.0] ?? $0.0, $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return true
    }()

    /// Makes swift-metrics report into `registry` (once per process).
    public static func bootstrap() { _ = bootstrapped }

    private static let names = [
        "http.server.request.duration": "cairn_http_request_duration_seconds",
        "hb.requests": "cairn_http_requests_total",
        "hb.request.errors": "cairn_http_request_errors_total",
        "http.server.active_requests": "cairn_http_active_requests",
    ]
    private static let labelNames = [
        "http.route": "route", "http.request.method": "method", "http.response.status_code": "status", "error.type": "status",
    ]

    static func reconciled(_ reconciliation: Reconciliation, duration: Duration) {
        let environment = ("environment", reconciliation.environment)
        Metrics.Timer(label: "cairn_reconcile_duration_seconds", dimensions: [environment, ("result", reconciliation.result.rawValue)])
            .recordInterval(duration)
        if reconciliation.result == .applied || reconciliation.result == .refused || reconciliation.result == .failed {
            Counter(label: "cairn_apply_total", dimensions: [environment, ("result", reconciliation.result.rawValue)]).increment()
        }
        switch reconciliation.result {
        case .applied, .inSync: synced(reconciliation.environment, true)
        case .refused: synced(reconciliation.environment, false)
        case .busy, .failed: break  // unknown: the gauge keeps what was last known
        }
    }

    /// 1 when what is deployed matches git at the revision last reconciled or planned, 0 when not.
    static func synced(_ environment: String, _ inSync: Bool) {
        Gauge(label: "cairn_environment_synced", dimensions: [("environment", environment)]).record(inSync ? 1 : 0)
    }

    static func fetched(duration: Duration, failed: Bool) {
        Metrics.Timer(label: "cairn_git_fetch_duration_seconds").recordInterval(duration)
        // Created on success too, so that the series is there at 0 before the first failure.
        let failures = Counter(label: "cairn_git_fetch_failures_total")
        if failed { failures.increment() }
    }

    /// Prometheus' text format.
    static func text() -> [UInt8] { registry.emitToBuffer() }
}

extension Metrics.Timer {
    func recordInterval(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
