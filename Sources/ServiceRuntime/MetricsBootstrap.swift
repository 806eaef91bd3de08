import Metrics
import NIOConcurrencyHelpers
import Prometheus

/// The process's Prometheus registry, installed into swift-metrics once.
///
/// swift-metrics accepts one bootstrap per process; `registry` does it on first use, so every
/// executable and every test suite can ask for it without coordinating who goes first.
public enum MetricsBootstrap {
    /// The registry behind `MetricsSystem`; metrics made with swift-metrics (`Counter(label:)`,
    /// `Gauge`, `Timer`, ...) land here once it has been touched.
    public static var registry: PrometheusCollectorRegistry { bootstrapped.registry }

    /// Makes sure swift-metrics reports to ``registry``; safe to call any number of times.
    @discardableResult
    public static func bootstrap() -> PrometheusCollectorRegistry { registry }

    /// The Prometheus text exposition of ``registry`` (what `/metrics` serves).
    public static func render() -> [UInt8] { registry.emitToBuffer() }

    /// A static `let` is initialised exactly once, thread-safely, on first access: the bootstrap
    /// lives in its initialiser so it cannot run twice.
    private static let bootstrapped: Bootstrapped = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return Bootstrapped(registry: registry)
    }()

    private struct Bootstrapped: Sendable {
        let registry: PrometheusCollectorRegistry
    }
}
