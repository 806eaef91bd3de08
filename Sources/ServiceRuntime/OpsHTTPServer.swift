import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// The operations endpoint of every executable: `GET /health`, `GET /ready`, `GET /metrics`.
///
/// A `Service`: `run()` binds, serves until graceful shutdown or cancellation, then closes the
/// listener and the remaining connections. Requests never reach this actor; it is touched only at
/// start and stop (and by whoever asks for the bound address).
public actor OpsHTTPServer: Service {
    private let host: String
    private let port: Int
    private let routes: OpsRoutes
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let limits: HTTPConnectionLimits
    private var state: State = .waiting(waiters: [], started: false)

    private enum State {
        /// Not started, or binding; callers of `localAddress()` wait.
        case waiting(waiters: [CheckedContinuation<SocketAddress, any Error>], started: Bool)
        case listening(SocketAddress)
        case stopped
    }

    /// - Parameters:
    ///   - host: the address to bind (`0.0.0.0`, `127.0.0.1`, ...).
    ///   - port: the port; 0 picks a free one (see ``localAddress()``).
    ///   - readiness: the parts not ready yet; `/ready` answers 503 naming them until it is empty.
    ///   - metrics: the registry `/metrics` renders; by default the one swift-metrics reports to.
    ///   - limits: open connections at most, and the time a request may take to arrive (also
    ///     between keep-alive requests), so that idle or slow sockets cannot pile up.
    public init(
        host: String,
        port: Int,
        readiness: @escaping ReadinessCheck = { [] },
        metrics: PrometheusCollectorRegistry = MetricsBootstrap.registry,
        limits: HTTPConnectionLimits = HTTPConnectionLimits(maximumConnections: 64),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "ops-http")
    ) {
        self.host = host
        self.port = port
        self.routes = OpsRoutes(readiness: readiness, metrics: metrics)
        self.limits = limits
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
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
            host: host,
            port: port,
            readiness: readiness.check,
            metrics: metrics,
            limits: limits,
            eventLoopGroup: eventLoopGroup,
            logger: logger
        )
    }

    /// The address the listener is bound to; waits until `run()` has bound it, and throws when
    /// binding failed or the server has stopped.
    public func localAddress() async throws -> SocketAddress {
        switch state {
        case .listening(let address):
            return address
        case .stopped:
            throw OpsHTTPServerError.notListening
        case .waiting(var waiters, let started):
            return try await withCheckedThrowingContinuation { continuation in
                waiters.append(continuation)
                state = .waiting(waiters: waiters, started: started)
            }
        }
    }

    /// The bound port (useful with port 0).
    public func localPort() async throws -> Int {
        guard let port = try await localAddress().port else { throw OpsHTTPServerError.notListening }
        return port
    }

    public func run() async throws {
        guard case .waiting(let waiters, started: false) = state else { throw OpsHTTPServerError.alreadyStarted }
        state = .waiting(waiters: waiters, started: true)
        let connections = OpenConnections()
        let listener: any Channel
        do {
            listener = try await bind(tracking: connections)
        } catch {
            for waiter in takeWaiters() { waiter.resume(throwing: error) }
            state = .stopped
            logger.error(
                "ops endpoint cannot listen",
                metadata: ["host": "\(host)", "port": "\(port)", "error": "\(error)"]
            )
            throw error
        }
        let address = listener.localAddress!
        let waiting = takeWaiters()
        state = .listening(address)
        for waiter in waiting { waiter.resume(returning: address) }
        logger.info("ops endpoint listening", metadata: ["address": "\(address)"])

        await withTaskCancellationOrGracefulShutdownHandler {
            try? await listener.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            listener.close(promise: nil)
        }
        await connections.closeAll()
        state = .stopped
        logger.info("ops endpoint stopped")
    }

    /// The callers of `localAddress()` that wait, including those that came while binding.
    private func takeWaiters() -> [CheckedContinuation<SocketAddress, any Error>] {
        guard case .waiting(let waiters, _) = state else { return [] }
        return waiters
    }

    private func bind(tracking connections: OpenConnections) async throws -> any Channel {
        let routes = self.routes
        let budget = HTTPConnectionBudget(self.limits)
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard budget.admit(channel) else { return channel.eventLoop.makeSucceededVoidFuture() }
                connections.insert(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPRequestTimeoutHandler(timeout: budget.limits.requestTimeout))
                    try channel.pipeline.syncOperations.addHandler(OpsHTTPHandler(routes: routes))
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}

public struct OpsHTTPServerError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case alreadyStarted
        case notListening
    }

    private let code: Code

    /// `run()` was called a second time.
    public static let alreadyStarted = Self(code: .alreadyStarted)
    /// The server is not listening: binding failed or it has stopped.
    public static let notListening = Self(code: .notListening)

    public var description: String {
        switch code {
        case .alreadyStarted: "the ops HTTP server was already started"
        case .notListening: "the ops HTTP server is not listening"
        }
    }
}

/// The accepted connections still open, so that stopping can close idle keep-alive ones.
private final class OpenConnections: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    func insert(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        channels.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in
            self.channels.withLockedValue { _ = $0.removeValue(forKey: id) }
        }
    }

    func closeAll() async {
        let open = channels.withLockedValue { Array($0.values) }
        for channel in open {
            try? await channel.close()
        }
    }
}
