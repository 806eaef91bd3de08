import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The one HTTP/1.1 server: the ops endpoints, dev-pki's API and test servers. Each whole request
/// goes to the handler its ``HTTPRoutes`` names; bounded by ``HTTPConnectionLimits``. Not for high
/// request rates.
///
/// A `Service`: `run()` binds (unless ``bind()`` did already), serves until graceful shutdown,
/// cancellation or ``stop()``, then closes the listener and the open connections. Requests never
/// reach this actor; it is touched only at start and stop (and by whoever asks for the address).
public actor HTTPServer: Service {
    /// Runs first on each accepted connection, before the HTTP codec: add `NIOSSLServerHandler`
    /// here to serve HTTPS.
    public typealias PrepareConnection = @Sendable (any Channel) throws -> Void
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    private typealias Listener = NIOAsyncChannel<Connection, Never>

    private let name: String
    private let host: String
    private let port: Int
    private let limits: HTTPConnectionLimits
    private let responder: HTTPResponder
    private let prepareConnection: PrepareConnection?
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private var state: State = .unbound(waiters: [], binding: false)

    private enum State {
        /// Not bound yet, or binding; callers of `localAddress()` wait.
        case unbound(waiters: [CheckedContinuation<SocketAddress, any Error>], binding: Bool)
        case bound(Listener, SocketAddress)
        case running(Listener, SocketAddress)
        case stopped
    }

    /// - Parameters:
    ///   - name: what the log lines call it ("ops endpoint", "dev-pki").
    ///   - host: the address to bind (`0.0.0.0`, `127.0.0.1`, ...).
    ///   - port: the port; 0 picks a free one (see ``localAddress()``).
    public init(
        name: String = "HTTP server",
        host: String,
        port: Int,
        routes: HTTPRoutes,
        limits: HTTPConnectionLimits = HTTPConnectionLimits(),
        prepareConnection: PrepareConnection? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "http")
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.limits = limits
        self.responder = HTTPResponder(routes: routes, maximumBodyBytes: limits.maximumBodyBytes, logger: logger)
        self.prepareConnection = prepareConnection
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Binds now, so that the port is known and errors surface before `run()`; returns the bound
    /// address (again, when already bound).
    @discardableResult
    public func bind() async throws -> SocketAddress {
        guard case .unbound(let waiters, binding: false) = state else { return try await localAddress() }
        state = .unbound(waiters: waiters, binding: true)
        let listener: Listener
        let address: SocketAddress
        do {
            listener = try await makeListener()
            guard let bound = listener.channel.localAddress else { throw HTTPServerError.notListening }
            address = bound
        } catch {
            for waiter in takeWaiters() { waiter.resume(throwing: error) }
            state = .stopped
            logger.error("\(name) cannot listen", metadata: ["host": "\(host)", "port": "\(port)", "error": "\(error)"])
            throw error
        }
        guard case .unbound(let waiters, _) = state else {
            // Stopped while binding.
            listener.channel.close(promise: nil)
            throw HTTPServerError.notListening
        }
        state = .bound(listener, address)
        for waiter in waiters { waiter.resume(returning: address) }
        logger.info("\(name) listening", metadata: ["address": "\(address)"])
        return address
    }

    /// The address the listener is bound to; waits until it is bound, and throws when binding
    /// failed or the server has stopped.
    public func localAddress() async throws -> SocketAddress {
        switch state {
        case .bound(_, let address), .running(_, let address):
            return address
        case .stopped:
            throw HTTPServerError.notListening
        case .unbound(var waiters, let binding):
            return try await withCheckedThrowingContinuation { continuation in
                waiters.append(continuation)
                state = .unbound(waiters: waiters, binding: binding)
            }
        }
    }

    /// The bound port (useful with port 0).
    public func localPort() async throws -> Int {
        guard let port = try await localAddress().port else { throw HTTPServerError.notListening }
        return port
    }

    public func run() async throws {
        if case .unbound(_, binding: false) = state { try await bind() }
        switch state {
        case .bound(let listener, let address):
            state = .running(listener, address)
            try await Self.serve(listener, responder: responder)
            state = .stopped
            logger.info("\(name) stopped")
        case .stopped:
            throw HTTPServerError.notListening
        case .unbound, .running:
            throw HTTPServerError.alreadyStarted
        }
    }

    /// Stops accepting and closes the open connections; `run()` then returns.
    public func stop() {
        switch state {
        case .unbound(let waiters, _):
            state = .stopped
            for waiter in waiters { waiter.resume(throwing: HTTPServerError.notListening) }
        case .bound(let listener, _):
            state = .stopped
            listener.channel.close(promise: nil)
        case .running(let listener, _):
            listener.channel.close(promise: nil)
        case .stopped:
            break
        }
    }

    /// The callers of `localAddress()` that wait, including those that came while binding.
    private func takeWaiters() -> [CheckedContinuation<SocketAddress, any Error>] {
        guard case .unbound(let waiters, _) = state else { return [] }
        return waiters
    }

    /// A connection over `HTTPConnectionLimits.maximumConnections`, closed at accept.
    private struct ConnectionRefused: Error {}

    private func makeListener() async throws -> Listener {
        let budget = HTTPConnectionBudget(limits)
        let prepareConnection = self.prepareConnection
        return try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard budget.admit(channel) else { throw ConnectionRefused() }
                    try prepareConnection?(channel)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPRequestTimeoutHandler(budget.limits))
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Serves each accepted connection in a child task until the listener closes, then ends them.
    private nonisolated static func serve(_ listener: Listener, responder: HTTPResponder) async throws {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                try await withTaskCancellationOrGracefulShutdownHandler {
                    try await listener.executeThenClose { inbound in
                        for try await connection in inbound {
                            group.addTask { await responder.serve(connection) }
                        }
                    }
                } onCancelOrGracefulShutdown: {
                    listener.channel.close(promise: nil)
                }
                group.cancelAll()
            }
        } catch is CancellationError {
            // Cancellation is how a service group stops us: a normal end.
        }
    }
}

public struct HTTPServerError: Error, Hashable, Sendable, CustomStringConvertible {
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
        case .alreadyStarted: "the HTTP server was already started"
        case .notListening: "the HTTP server is not listening"
        }
    }
}
