import CairnState
import Foundation
import Hummingbird
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

/// The Prometheus registry `/metrics` prints; every metric of cairn's is named `cairn_…`.
public enum ServeMetrics {
    public static let registry = PrometheusCollectorRegistry()

    private static let bootstrapped: Bool = {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return true
    }()

    /// Makes swift-metrics report into `registry` (once per process).
    public static func bootstrap() { _ = bootstrapped }

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

/// Counts and times each request by route pattern (`/v1/environments/{env}/artifacts/{kind}/{name}`), method and
/// status: `cairn_http_requests_total`, `cairn_http_request_duration_seconds` (from the request's arrival to its
/// response being made, not sent), `cairn_http_request_errors_total` (what a handler threw), and
/// `cairn_http_active_requests`. Recorded when the response is made: Hummingbird's `MetricsMiddleware` records after
/// the write, which makes the response's body a closure, and then the head and the body go out in two writes (two
/// TCP segments) instead of one.
struct RequestMetrics: RouterMiddleware {
    private let handles = Handles()

    func handle(_ request: Request, context: BasicRequestContext, next: (Request, BasicRequestContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let active = handles.active(request.method)
        active.increment()
        defer { active.decrement() }
        do {
            let response = try await next(request, context)
            handles.endpoint(context.endpointPath ?? "Unknown", request.method, response.status).record(since: start, error: false)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            handles.endpoint(context.endpointPath ?? "NotFound", request.method, status).record(since: start, error: true)
            throw error
        }
    }

    /// The metrics of each route, method and status, made on first use (swift-metrics' factory is a lookup under a
    /// lock with the labels built each time).
    final class Handles: @unchecked Sendable {
        struct Endpoint {
            let requests: Metrics.Counter
            let errors: Metrics.Counter
            let duration: Metrics.Timer

            func record(since start: ContinuousClock.Instant, error: Bool) {
                requests.increment()
                if error { errors.increment() }
                duration.recordInterval(ContinuousClock.now - start)
            }
        }
        private struct Key: Hashable {
            let route: String
            let method: HTTPRequest.Method
            let status: Int
        }
        private let lock = NSLock()
        private var endpoints: [Key: Endpoint] = [:]
        private var meters: [HTTPRequest.Method: Metrics.Meter] = [:]

        func active(_ method: HTTPRequest.Method) -> Metrics.Meter {
            lock.withLock {
                if let meter = meters[method] { return meter }
                let meter = Metrics.Meter(label: "cairn_http_active_requests", dimensions: [("method", method.rawValue)])
                meters[method] = meter
                return meter
            }
        }

        func endpoint(_ route: String, _ method: HTTPRequest.Method, _ status: HTTPResponse.Status) -> Endpoint {
            let key = Key(route: route, method: method, status: status.code)
            return lock.withLock {
                if let known = endpoints[key] { return known }
                let labels = [("route", route), ("method", method.rawValue), ("status", String(status.code))]
                let made = Endpoint(requests: Metrics.Counter(label: "cairn_http_requests_total", dimensions: labels),
                                    errors: Metrics.Counter(label: "cairn_http_request_errors_total", dimensions: labels),
                                    duration: Metrics.Timer(label: "cairn_http_request_duration_seconds", dimensions: labels,
                                                            preferredDisplayUnit: .seconds))
                endpoints[key] = made
                return made
            }
        }
    }
}
