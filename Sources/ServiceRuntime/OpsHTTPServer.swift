import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle

/// The operations endpoint of every executable: ``OpsRoutes`` on an ``HTTPServer``.
///
/// A `Service`: `run()` binds, serves until graceful shutdown or cancellation, then closes the
/// listener and the remaining connections.
public struct OpsHTTPServer: Service {
    public let server: HTTPServer

    /// - Parameters:
    ///   - host: the address to bind (`0.0.0.0`, `127.0.0.1`, ...).
    ///   - port: the port; 0 picks a free one (see ``localAddress()``).
    ///   - readiness: the parts not ready yet; `/ready` answers 503 naming them until it is empty.
    ///   - metrics: the registry `/metrics` renders; by default the one swift-metrics reports to.
    ///   - limits: open connections at most, the time a request may take to arrive and a
    ///     keep-alive connection may stay idle, so that idle or slow sockets cannot pile up.
    public init(
        host: String,
        port: Int,
        readiness: @escaping ReadinessCheck = { [] },
        metrics: PrometheusCollectorRegistry = MetricsBootstrap.registry,
        limits: HTTPConnectionLimits = HTTPConnectionLimits(maximumConnections: 64),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "ops-http")
    ) {
        server = HTTPServer(
            name: "ops endpoint", host: host, port: port, routes: OpsRoutes.table(readiness: readiness, metrics: metrics),
            limits: limits, eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// Like ``init(host:port:readiness:metrics:limits:eventLoopGroup:logger:)`` with `readiness.check`.
    public init(
        host: String,
        port: Int,
        readiness: ReadinessState,
        metrics: PrometheusCollectorRegistry = MetricsBootstrap.registry,
        limits: HTTPConnectionLimits = HTTPConnectionLimits(maximumConnections: 64),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "ops-http")
    ) {
        self.init(
            host: host, port: port, readiness: readiness.check, metrics: metrics, limits: limits,
            eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// The address the listener is bound to; waits until `run()` has bound it, and throws when
    /// binding failed or the server has stopped.
    public func localAddress() async throws -> SocketAddress { try await server.localAddress() }

    /// The bound port (useful with port 0).
    public func localPort() async throws -> Int { try await server.localPort() }

    public func run() async throws { try await server.run() }
}
