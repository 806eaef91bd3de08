import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL

/// A device of a run: its index (in markers), identity and, with mutual TLS, its own context.
public struct DeviceSpec: Sendable {
    public var index: Int
    public var identity: String
    public var sslContext: NIOSSLContext?

    public init(index: Int, identity: String, sslContext: NIOSSLContext? = nil) {
        self.index = index
        self.identity = identity
        self.sslContext = sslContext
    }
}

extension LoadRunner {
    /// Makes every loop keep the keys of acknowledged messages (for matching them in Kafka).
    public func trackAcknowledgedKeys() async throws {
        try await self.onEveryLoop { $0.tracksAcknowledgedKeys = true }
    }

    /// Opens one device's connection; failures are counted, never thrown.
    public func openDevice(_ device: DeviceSpec, plan: DevicePlan, verifyHostname: Bool = true) {
        let loop = self.group.next()
        let stats = self.stats.first { $0.eventLoop === loop }!
        let host = self.target.host
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(plan.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context = device.sslContext {
                        // A host name is sent as SNI; an IP address is verified against the
                        // certificate's IP entries by NIOSSL itself.
                        let name = verifyHostname && host.first?.isLetter == true ? host : nil
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: name))
                    }
                    try channel.pipeline.syncOperations.addHandlers(
                        MessageToByteHandler(MQTTPacketEncoder()),
                        ByteToMessageHandler(MQTTPacketDecoder(protocolVersion: .v3_1_1)),
                        SimulatedDevice(index: device.index, identity: device.identity, plan: plan, stats: stats.value)
                    )
                }
            }
            .connect(host: host, port: self.target.port)
            .whenFailure { _ in
                // The channel never became active, so the device did not count this itself.
                stats.value.totals.connectFailures += 1
            }
    }

    /// Stops every device's publishing (in-flight messages may still be acknowledged).
    public func stopPublishing() async throws {
        try await self.onEveryLoop { stats in
            for device in stats.openDevices.values { device.stopPublishing() }
        }
    }

    /// Disconnects every device cleanly.
    public func disconnectAll() async throws {
        try await self.onEveryLoop { stats in
            for device in stats.openDevices.values { device.disconnect() }
        }
    }

    public func openConnections() async throws -> Int {
        var total = 0
        for bound in self.stats {
            total += try await bound.eventLoop.submit { bound.value.openDevices.count }.get()
        }
        return total
    }

    /// The keys of every acknowledged device message so far.
    public func acknowledgedKeys() async throws -> [UInt64] {
        var keys: [UInt64] = []
        for bound in self.stats {
            keys += try await bound.eventLoop.submit { bound.value.acknowledgedKeys }.get()
        }
        return keys
    }

    private func onEveryLoop(_ body: @escaping @Sendable (LoopStats) -> Void) async throws {
        for bound in self.stats {
            try await bound.eventLoop.submit { body(bound.value) }.get()
        }
    }
}
