import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceRuntime

/// A small HTTP/1.1 server: one async handler per whole request. For dev-pki's API, health
/// endpoints and test servers; not for high request rates.
public final class MiniHTTPServer: Sendable {
    public typealias Handler = @Sendable (ServerRequest) async -> ServerResponse
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// Requests with larger bodies get 413 and the connection is closed.
    public static let maximumBodyBytes = 1 << 20

    private let serverChannel: NIOAsyncChannel<Connection, Never>
    private let handler: Handler
    private let logger: Logger
    /// The bound port (useful when binding port 0).
    public let port: Int

    private init(serverChannel: NIOAsyncChannel<Connection, Never>, handler: @escaping Handler, logger: Logger) {
        self.serverChannel = serverChannel
        self.handler = handler
        self.logger = logger
        self.port = serverChannel.channel.localAddress?.port ?? 0
    }

    /// Binds now, so that the port is known and errors surface before `run`. With `tls`, serves HTTPS.
    /// - Parameter limits: open connections at most, and how long a request may take to arrive.
    public static func bind(
        host: String,
        port: Int,
        logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        tls: NIOSSLContext? = nil,
        limits: HTTPConnectionLimits = HTTPConnectionLimits(maximumConnections: 256),
        handler: @escaping Handler
    ) async throws -> MiniHTTPServer {
        let budget = HTTPConnectionBudget(limits)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard budget.admit(channel) else { throw ConnectionRefused() }
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(HTTPRequestTimeoutHandler(limits))
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
        return MiniHTTPServer(serverChannel: channel, handler: handler, logger: logger)
    }

    /// A connection over `HTTPConnectionLimits.maximumConnections`, closed at accept.
    struct ConnectionRefused: Error {}

    /// Serves until the task is cancelled or `close()` is called; then closes open connections.
    public func run() async throws {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                try await serverChannel.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection) }
                    }
                }
                group.cancelAll()
            }
        } catch is CancellationError {
            // Cancellation is how a service group stops us: a normal end.
        }
    }

    /// Stops accepting; `run` then returns.
    public func close() async {
        try? await serverChannel.channel.close()
    }

    private func serve(_ connection: Connection) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let requestHead):
                        head = requestHead
                        body = []
                    case .body(let buffer):
                        body.append(contentsOf: buffer.readableBytesView)
                        if body.count > Self.maximumBodyBytes {
                            try await write(.error(.payloadTooLarge, "body over \(Self.maximumBodyBytes) bytes"), keepAlive: false, to: outbound)
                            return
                        }
                    case .end:
                        guard let requestHead = head else { return }
                        let response = await handler(ServerRequest(head: requestHead, body: body))
                        try await write(response, keepAlive: requestHead.isKeepAlive, to: outbound)
                        guard requestHead.isKeepAlive else { return }
                        head = nil
                    }
                }
            }
        } catch {
            logger.debug("HTTP connection ended", metadata: ["error": "\(error)"])
        }
    }

    private func write(_ response: ServerResponse, keepAlive: Bool, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)))
        if !response.body.isEmpty {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
        }
        try await outbound.write(.end(nil))
    }
}
