import BrokerStore
import Logging
import MQTTAuthorization
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import ServiceRuntime

#if canImport(Glibc)
    import Glibc
#endif

/// The broker's MQTT listeners as one service: `run()` binds them, serves until graceful
/// shutdown, then stops accepting and closes every client connection.
public final class BrokerServer: Service {
    private let configuration: BrokerConfiguration
    private let readiness: ReadinessState?
    private let group: any EventLoopGroup
    let core: BrokerCore
    private let logger: Logger
    let connections = ConnectionTracker()
    /// The TLS files in force; nil when the TLS listener is off. Replaced whole on reload.
    private let tlsMaterial: NIOLockedValueBox<TLSMaterial?>
    private let reloader: TLSReloader
    private let reloaderTask = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// With `BROKER_AUTHZ=acl-file`: watches the file and puts new rules in force.
    private let aclReloader: ACLFileReloader?
    private let aclReloaderTask = NIOLockedValueBox<Task<Void, Never>?>(nil)

    /// - Parameters:
    ///   - configuration: ports set to 0 bind a free port (tests); nil ones are off.
    ///   - readiness: its `mqtt` part is marked ready once the listeners are up.
    public init(
        configuration: BrokerConfiguration,
        authorizer: any Authorizer,
        readiness: ReadinessState? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "broker")
    ) throws {
        self.configuration = configuration
        self.readiness = readiness
        self.group = group
        self.logger = logger
        // A store that cannot be opened stops start-up with a message naming its path.
        let store = try configuration.dataDirectory.map { path in
            try BrokerStore.open(path: path, logger: logger)
        }
        if store == nil {
            logger.warning("BROKER_DATA_DIR is not set: sessions, queued and retained messages are in memory only, and a crash loses what was acknowledged")
        }
        let metrics = BrokerMetrics()
        var inForce = authorizer
        if configuration.authorization == .aclFile, let path = configuration.aclFile, authorizer is ACLFileAuthorizer {
            let reloadable = ReloadableAuthorizer(authorizer)
            inForce = reloadable
            self.aclReloader = ACLFileReloader(
                path: path, interval: .milliseconds(configuration.aclReloadIntervalMilliseconds), authorizer: reloadable,
                connections: self.connections, metrics: metrics, logger: logger)
        } else {
            self.aclReloader = nil
        }
        self.core = try BrokerCore(group: group, configuration: configuration, authorizer: inForce, metrics: metrics, store: store, logger: logger)
        // A bad TLS file at start-up stops the broker with a message naming it.
        self.tlsMaterial = NIOLockedValueBox(try configuration.mqttsPort.map { _ in try TLSMaterial.load(configuration.tls) })
        self.reloader = TLSReloader(
            files: configuration.tls, interval: .milliseconds(configuration.tlsReloadIntervalMilliseconds),
            material: self.tlsMaterial, connections: self.connections, metrics: self.core.metrics, logger: logger
        )
        if configuration.mqttsPort != nil && configuration.tls.crl == nil {
            logger.warning("CRL checking is off (BROKER_TLS_CRL is empty): revoked certificates are accepted")
        }
        if configuration.mqttPort != nil {
            logger.warning("the plain MQTT listener is on: identities are CONNECT user names, unauthenticated; turn it off in production with BROKER_MQTT_PORT=0")
        }
    }

    /// The ports the listeners are bound to.
    public struct BoundPorts: Sendable {
        public var mqtt: Int?
        public var mqtts: Int?
    }

    /// Binds the listeners.
    @discardableResult
    public func start() async throws -> BoundPorts {
        try await self.recover()
        var bound = BoundPorts()
        if let port = self.configuration.mqttPort {
            bound.mqtt = try await self.listen(.plain, port: port)
        }
        if let port = self.configuration.mqttsPort {
            bound.mqtts = try await self.listen(.mutualTLS, port: port)
            let reloader = self.reloader
            self.reloaderTask.withLockedValue { $0 = Task { await reloader.run() } }
        }
        if let aclReloader = self.aclReloader {
            self.aclReloaderTask.withLockedValue { $0 = Task { await aclReloader.run() } }
        }
        self.readiness?.markReady("mqtt")
        return bound
    }

    /// Everything stored comes back before a client can connect.
    private func recover() async throws {
        guard let store = self.core.durable?.store else { return }
        let started = ContinuousClock.now
        let state = try store.recoverAll()
        let summary = try await self.core.recover(state, nowMillis: WallClock.nowMillis())
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        self.core.metrics.storeRecoverySeconds.set(seconds)
        self.logger.info(
            "store recovered",
            metadata: [
                "path": "\(store.path)", "recovered": "\(summary)", "report": "\(state.report)", "seconds": "\(seconds)",
            ])
    }

    /// One listening socket per event loop on the same port (SO_REUSEPORT): the kernel spreads
    /// new connections over them, so a reconnect storm is accepted by every core, and each
    /// connection stays on the loop that accepted it.
    private func listen(_ listener: Listener, port: Int) async throws -> Int {
        var bound = port
        var loops = 0
        for loop in self.group.makeIterator() {
            loops += 1
            // Port 0 (tests) picks a free port with the first socket; the others join it.
            let channel = try await self.bootstrap(listener: listener, loop: loop).bind(host: self.configuration.bindHost, port: bound).get()
            self.connections.add(listener: channel)
            if bound == 0 { bound = channel.localAddress?.port ?? 0 }
        }
        self.logger.info(
            "MQTT listener up",
            metadata: [
                "listener": "\(listener)", "address": "\(self.configuration.bindHost):\(bound)", "accepting_loops": "\(loops)",
            ])
        return bound
    }

    /// Stops accepting; stops taking PUBLISHes (they are not acknowledged, so clients resend
    /// them to the next broker); gives online subscribers up to `shutdownDrainMilliseconds` to
    /// receive what is queued for them; then closes every connection.
    public func stop() async {
        self.reloader.stop()
        self.aclReloader?.stop()
        await self.reloaderTask.withLockedValue({ $0 })?.value
        await self.aclReloaderTask.withLockedValue({ $0 })?.value
        let (listeners, _) = self.connections.listenersAndClients()
        for listener in listeners { try? await listener.close() }
        self.core.draining.store(true, ordering: .relaxed)
        let deadline = ContinuousClock.now + .milliseconds(self.configuration.shutdownDrainMilliseconds)
        var undelivered = await self.core.onlineSessionsWithUndeliveredMessages()
        while undelivered > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
            undelivered = await self.core.onlineSessionsWithUndeliveredMessages()
        }
        if undelivered > 0 { self.logger.warning("closing with undelivered messages", metadata: ["sessions": "\(undelivered)"]) }
        for channel in self.connections.removeAll() { try? await channel.close() }
        // The connections' last writes are queued by now; close finishes them.
        self.core.durable?.store.close()
        self.logger.info("MQTT listeners closed")
    }

    public func run() async throws {
        try await self.start()
        try? await gracefulShutdown()
        await self.stop()
    }

    private static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 128, maximum: 65_536)

    private func bootstrap(listener: Listener, loop: any EventLoop) -> ServerBootstrap {
        let core = self.core
        let limits = self.configuration.limits
        let connections = self.connections
        let tlsMaterial = self.tlsMaterial
        return ServerBootstrap(group: loop, childGroup: loop)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
            // Accepted sockets inherit TCP_NODELAY from the listener (Linux): no setsockopt per
            // connection. No child channel options either: NIO applies those through a chain of
            // futures per connection; the initializer sets them synchronously instead.
            .serverChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let options = channel.syncOptions
                    try options?.setOption(.maxMessagesPerRead, value: 16)
                    // Each channel keeps its last receive buffer for reuse. Starting small keeps an idle
                    // device's connection small; busy connections grow theirs (adaptive) up to 64 KiB.
                    try options?.setOption(.recvAllocator, value: Self.receiveBuffers)
                    if let refusal = connections.admit(
                        client: channel, maxTotal: limits.maxConnections, maxPerAddress: limits.maxConnectionsPerAddress
                    ) {
                        core.metrics.connectionsRefused(refusal.rawValue).increment()
                        channel.close(promise: nil)
                        return
                    }
                    let router = core.routers[core.routerIndex(of: channel.eventLoop)].value
                    let handler = MQTTConnectionHandler(core: core, router: router, listener: listener, connections: connections)
                    if listener == .mutualTLS, let material = tlsMaterial.withLockedValue({ $0 }) {
                        let verify = ClientCertificateVerifier.callback(material: tlsMaterial) { verified in
                            // Recorded first, then checked: a reload either sees this serial and
                            // closes the connection, or has put its CRL in force before this check.
                            connections.setSerial(verified.serialHex, of: channel)
                            guard tlsMaterial.withLockedValue({ $0?.revokedSerials.contains(verified.serialHex) ?? false }) else { return nil }
                            return .init(reason: "revoked", detail: "certificate \(verified.serialHex) revoked by a CRL reloaded during the handshake")
                        } onResult: { result in
                            handler.certificateChecked(result)
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLServerHandler(context: material.sslContext, customVerificationCallbackWithMetadata: verify)
                        )
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
    }
}
