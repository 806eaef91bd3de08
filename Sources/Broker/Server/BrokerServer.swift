import Logging
import MQTTAuthorization
import MQTTCore
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The broker's MQTT listeners as one service: `run()` binds them, serves until graceful
/// shutdown, then stops accepting and closes every client connection.
public final class BrokerServer: Service {
    public struct Configuration: Sendable {
        public var bindHost = "0.0.0.0"
        /// 0 picks a free port (tests); nil disables the listener.
        public var plainPort: Int? = 1883
        public var limits = BrokerLimits()

        public init() {}
    }

    private let configuration: Configuration
    private let group: any EventLoopGroup
    private let core: BrokerCore
    private let logger: Logger
    private let channels = NIOLockedValueBoxChannels()

    public init(
        configuration: Configuration,
        authorizer: any Authorizer,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "broker")
    ) throws {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.core = try BrokerCore(group: group, limits: configuration.limits, authorizer: authorizer, metrics: BrokerMetrics())
    }

    /// Binds the listeners.
    /// - Returns: the bound plain port (useful with port 0).
    @discardableResult
    public func start() async throws -> Int? {
        guard let port = self.configuration.plainPort else { return nil }
        let channel = try await self.bootstrap(listener: .plain)
            .bind(host: self.configuration.bindHost, port: port).get()
        self.channels.add(channel)
        let bound = channel.localAddress?.port
        self.logger.info("MQTT listener up", metadata: ["listener": "plain", "address": "\(self.configuration.bindHost):\(bound ?? port)"])
        return bound
    }

    /// Stops accepting, then closes the client connections (their wills are published: the
    /// broker, not the clients, is going away... and persistent sessions end with the process).
    public func stop() async {
        for channel in self.channels.removeAll() { try? await channel.close() }
        self.logger.info("MQTT listeners closed")
    }

    public func run() async throws {
        try await self.start()
        try? await gracefulShutdown()
        await self.stop()
    }

    private func bootstrap(listener: Listener) -> ServerBootstrap {
        let core = self.core
        let limits = self.configuration.limits
        let logger = self.logger
        let connections = self.channels
        return ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if limits.maxConnections > 0, connections.clientCount >= limits.maxConnections {
                        core.metrics.connectionsRefused("max_connections").increment()
                        channel.close(promise: nil)
                        return
                    }
                    connections.addClient(channel)
                    let router = core.routers[core.routerIndex(of: channel.eventLoop)].value
                    let decoder = BrokerPacketDecoder(limits: .init(maxPacketSize: limits.maxPacketBytes), metrics: core.metrics)
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(decoder, maximumBufferSize: limits.maxPacketBytes),
                        MQTTConnectionHandler(core: core, router: router, listener: listener, logger: logger)
                    )
                }
            }
    }
}
