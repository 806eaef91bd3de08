import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import MQTTCore

/// A packet-level MQTT server for client conformance tests: one connection at a time on
/// 127.0.0.1; every packet the client sends, and the close, come to the test in order.
final class RawServer: @unchecked Sendable {
    typealias Event = RawPeerEvent

    let group: MultiThreadedEventLoopGroup
    private let listener: any Channel
    private let connection: NIOLockedValueBox<(any Channel)?>
    private let inbox: RawPeerInbox

    var port: Int { self.listener.localAddress?.port ?? 0 }

    init() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let inbox = RawPeerInbox()
        let connection = NIOLockedValueBox<(any Channel)?>(nil)
        self.group = group
        self.inbox = inbox
        self.connection = connection
        self.listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                connection.withLockedValue { $0 = channel }
                return channel.eventLoop.makeCompletedFuture {
                    try inbox.addHandlers(to: channel.pipeline.syncOperations)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// The next event, or nil after `timeout`.
    func next(timeout: Duration = .seconds(5)) async -> Event? {
        await self.inbox.next(timeout: timeout, on: self.group.next())
    }

    func nextPacket(timeout: Duration = .seconds(5)) async throws -> MQTTPacket {
        switch await self.next(timeout: timeout) {
        case .packet(let packet): return packet
        case .closed: throw TestFailure("the client closed the connection")
        case nil: throw TestFailure("no packet from the client within \(timeout)")
        }
    }

    func expectClosed(timeout: Duration = .seconds(5)) async throws {
        switch await self.next(timeout: timeout) {
        case .closed: return
        case .packet(let packet): throw TestFailure("expected the close, got \(packet)")
        case nil: throw TestFailure("the client kept the connection open")
        }
    }

    func expectSilence(for duration: Duration = .milliseconds(200)) async throws {
        if let event = await self.next(timeout: duration) { throw TestFailure("expected silence, got \(event)") }
    }

    /// Reads the CONNECT and accepts it.
    @discardableResult
    func accept(sessionPresent: Bool = false) async throws -> ConnectPacket {
        let packet = try await self.nextPacket()
        guard case .connect(let connect) = packet else { throw TestFailure("first packet is \(packet), not CONNECT") }
        try await self.send(.connack(ConnAckPacket(sessionPresent: sessionPresent, returnCode: .accepted)))
        return connect
    }

    func send(_ packet: MQTTPacket) async throws { try await self.write(.packet(packet)) }

    func sendRaw(_ bytes: [UInt8]) async throws { try await self.write(.raw(bytes)) }

    private func write(_ outgoing: RawPeerOutgoing) async throws {
        guard let channel = self.connection.withLockedValue({ $0 }) else { throw TestFailure("no client connection") }
        try await channel.writeAndFlush(outgoing)
    }

    /// Closes the client's connection (as a network failure would).
    func dropConnection() async {
        try? await self.connection.withLockedValue({ $0 })?.close()
    }

    func stop() async {
        await self.dropConnection()
        try? await self.listener.close()
        try? await self.group.shutdownGracefully()
    }
}

/// Client-side statements of MQTT 3.1.1, checked on MQTTCore's client over a real socket against
/// a packet-level server.
@Suite(.timeLimit(.minutes(1))) struct ConformanceClientTests {
    private func withClient(
        _ configure: (inout MQTTClientConfiguration) -> Void = { _ in },
        _ body: (RawServer, MQTTClient) async throws -> Void
    ) async throws {
        let server = try await RawServer()
        var configuration = MQTTClientConfiguration(
            host: "127.0.0.1", port: server.port, clientID: "conformance", reconnect: .disabled,
            connectTimeout: .seconds(5), automaticAcknowledgement: true, eventLoopGroup: server.group
        )
        configure(&configuration)
        let client = MQTTClient(configuration: configuration)
        do {
            try await body(server, client)
        } catch {
            await client.shutdown()
            await server.stop()
            throw error
        }
        await client.shutdown()
        await server.stop()
    }

    /// Starts `connect()` and answers it: the client is connected when this returns.
    private func connect(_ client: MQTTClient, _ server: RawServer, sessionPresent: Bool = false) async throws -> ConnectPacket {
        async let connected = client.connect()
        let connect = try await server.accept(sessionPresent: sessionPresent)
        _ = try await connected
        return connect
    }

    @Test("[MQTT-3.1.0-1] [MQTT-3.1.3-3] the client's first packet is CONNECT, with its client id")
    func firstPacketIsConnect() async throws {
        try await self.withClient { server, client in
            let connect = try await self.connect(client, server)
            #expect(connect.clientID == "conformance" && connect.protocolVersion == .v3_1_1)
        }
    }

    @Test(
        "[MQTT-2.3.1-1] [MQTT-2.3.1-2] [MQTT-4.3.2-1] the client gives each SUBSCRIBE, UNSUBSCRIBE and QoS 1 PUBLISH in flight its own non-zero identifier; PUBLISH goes out with DUP 0"
    )
    func packetIdentifiersUnused() async throws {
        try await self.withClient { server, client in
            _ = try await self.connect(client, server)
            let publishes = (0..<3).map { client.publishFuture(topic: "t/\($0)", payload: ByteBuffer(string: "x"), qos: .atLeastOnce) }
            let subscribed = client.subscribeFuture([.init(filter: "s/#", qos: .atLeastOnce)])
            let unsubscribed = client.unsubscribeFuture(["u/#"])
            var ids: [UInt16] = []
            var acks: [MQTTPacket] = []
            for _ in 0..<5 {
                switch try await server.nextPacket() {
                case .publish(let publish):
                    #expect(publish.qos == .atLeastOnce && !publish.dup)
                    ids.append(try #require(publish.packetID))
                    acks.append(.puback(packetID: publish.packetID!))
                case .subscribe(let subscribe):
                    ids.append(subscribe.packetID)
                    acks.append(.suback(SubAckPacket(packetID: subscribe.packetID, returnCodes: [.granted(.atLeastOnce)])))
                case .unsubscribe(let unsubscribe):
                    ids.append(unsubscribe.packetID)
                    acks.append(.unsuback(packetID: unsubscribe.packetID))
                case let other: throw TestFailure("unexpected \(other)")
                }
            }
            #expect(Set(ids).count == 5 && !ids.contains(0))
            for ack in acks { try await server.send(ack) }
            for publish in publishes { try await publish.get() }
            _ = try await subscribed.get()
            try await unsubscribed.get()
        }
    }

    @Test("[MQTT-2.3.1-3] [MQTT-4.4.0-1] [MQTT-3.3.1-1] after a reconnect the client re-sends an unacknowledged PUBLISH with its identifier and DUP 1")
    func resendAfterReconnect() async throws {
        try await self.withClient({
            $0.cleanSession = false
            $0.reconnect = MQTTReconnectPolicy(initialDelay: .milliseconds(50), maxDelay: .milliseconds(50), jitter: 0)
        }) { server, client in
            _ = try await self.connect(client, server)
            let published = client.publishFuture(topic: "r/t", payload: ByteBuffer(string: "again"), qos: .atLeastOnce)
            guard case .publish(let first) = try await server.nextPacket() else { throw TestFailure("no PUBLISH") }
            await server.dropConnection()
            try await server.expectClosed()
            try await server.accept(sessionPresent: true)
            guard case .publish(let second) = try await server.nextPacket() else { throw TestFailure("no re-sent PUBLISH") }
            #expect(second.packetID == first.packetID && second.dup && second.payload == first.payload)
            try await server.send(.puback(packetID: second.packetID!))
            try await published.get()
        }
    }

    @Test("[MQTT-3.1.2-23] an idle client sends PINGREQ within its keep alive")
    func keepAlivePing() async throws {
        try await self.withClient({ $0.keepAlive = .seconds(1) }) { server, client in
            let connect = try await self.connect(client, server)
            #expect(connect.keepAlive == 1)
            let start = ContinuousClock.now
            guard case .pingreq = try await server.nextPacket(timeout: .seconds(2)) else { throw TestFailure("no PINGREQ") }
            // Within the keep alive (measured from after the CONNACK, so a little over is scheduling).
            #expect(ContinuousClock.now - start <= .milliseconds(1300))
            try await server.send(.pingresp)
        }
    }

    @Test("[MQTT-3.14.4-1] [MQTT-3.14.4-2] after DISCONNECT the client closes the connection and sends nothing more")
    func disconnectCloses() async throws {
        try await self.withClient { server, client in
            _ = try await self.connect(client, server)
            try await client.disconnect()
            guard case .disconnect = try await server.nextPacket() else { throw TestFailure("no DISCONNECT") }
            try await server.expectClosed()
        }
    }

    @Test("[MQTT-4.5.0-2] [MQTT-3.3.4-1] [MQTT-4.3.3-2] the client acknowledges every PUBLISH by its QoS: PUBACK, PUBREC, then PUBCOMP for PUBREL")
    func clientAcknowledges() async throws {
        try await self.withClient { server, client in
            _ = try await self.connect(client, server)
            try await server.send(.publish(PublishPacket(topic: "in/0", payload: ByteBuffer(string: "a"))))
            try await server.send(.publish(PublishPacket(topic: "in/1", payload: ByteBuffer(string: "b"), qos: .atLeastOnce, packetID: 7)))
            try await server.send(.publish(PublishPacket(topic: "in/2", payload: ByteBuffer(string: "c"), qos: .exactlyOnce, packetID: 8)))
            #expect(try await server.nextPacket() == .puback(packetID: 7))
            #expect(try await server.nextPacket() == .pubrec(packetID: 8))
            try await server.send(.pubrel(packetID: 8))
            #expect(try await server.nextPacket() == .pubcomp(packetID: 8))
        }
    }

    @Test("[MQTT-4.6.0-2] [MQTT-4.6.0-3] the client sends PUBACKs and PUBRECs in the order of the PUBLISHes")
    func acknowledgementOrder() async throws {
        try await self.withClient { server, client in
            _ = try await self.connect(client, server)
            var expected: [MQTTPacket] = []
            for id: UInt16 in 1...12 {
                let qos: QoS = id % 3 == 0 ? .exactlyOnce : .atLeastOnce
                try await server.send(.publish(PublishPacket(topic: "o/\(id)", payload: ByteBuffer(string: "x"), qos: qos, packetID: id)))
                expected.append(qos == .exactlyOnce ? .pubrec(packetID: id) : .puback(packetID: id))
            }
            for packet in expected { #expect(try await server.nextPacket() == packet) }
        }
    }

    @Test("[MQTT-4.6.0-4] [MQTT-4.3.3-1] the client answers PUBRECs with PUBRELs of the same identifiers, in the PUBRECs' order")
    func pubrelOrder() async throws {
        try await self.withClient { server, client in
            _ = try await self.connect(client, server)
            let futures = (0..<3).map { client.publishFuture(topic: "q2/\($0)", payload: ByteBuffer(string: "x"), qos: .exactlyOnce) }
            var ids: [UInt16] = []
            for _ in 0..<3 {
                guard case .publish(let publish) = try await server.nextPacket() else { throw TestFailure("no PUBLISH") }
                #expect(publish.qos == .exactlyOnce && !publish.dup)
                ids.append(publish.packetID!)
            }
            for id in ids.reversed() { try await server.send(.pubrec(packetID: id)) }
            for id in ids.reversed() { #expect(try await server.nextPacket() == .pubrel(packetID: id)) }
            for id in ids { try await server.send(.pubcomp(packetID: id)) }
            for future in futures { try await future.get() }
        }
    }

    @Test("[MQTT-7.1.2-1] the client reads a byte stream: a CONNACK and a PUBLISH split into single bytes are understood")
    func byteStream() async throws {
        try await self.withClient { server, client in
            async let connected = client.connect()
            guard case .connect = try await server.nextPacket() else { throw TestFailure("no CONNECT") }
            var buffer = ByteBuffer()
            try MQTTPacket.connack(ConnAckPacket(returnCode: .accepted)).write(to: &buffer)
            try MQTTPacket.publish(PublishPacket(topic: "b/t", payload: ByteBuffer(string: "x"), qos: .atLeastOnce, packetID: 3)).write(to: &buffer)
            for byte in buffer.readableBytesView { try await server.sendRaw([byte]) }
            _ = try await connected
            #expect(try await server.nextPacket() == .puback(packetID: 3))
        }
    }

    @Test(
        "[MQTT-3.1.3-1] [MQTT-3.1.2-9] [MQTT-3.1.2-19] [MQTT-3.1.2-21] [MQTT-3.1.3-10] [MQTT-3.1.3-11] the client's CONNECT carries will, user name and password with their flags, in order (the strict server decoder checks both)"
    )
    func connectPayload() async throws {
        try await self.withClient({
            $0.will = .init(topic: "will/t", payload: ByteBuffer(string: "bye"), qos: .atLeastOnce, retain: true)
            $0.username = "tenant:device"
            $0.password = ByteBuffer(string: "secret")
        }) { server, client in
            let connect = try await self.connect(client, server)
            #expect(connect.will == .init(topic: "will/t", payload: ByteBuffer(string: "bye"), qos: .atLeastOnce, retain: true))
            #expect(connect.username == "tenant:device" && connect.password == ByteBuffer(string: "secret"))
        }
    }

    @Test("[MQTT-4.3.1-1] [MQTT-3.3.1-2] [MQTT-2.3.1-5] a QoS 0 PUBLISH from the client has DUP 0 and no packet identifier")
    func qos0Publish() async throws {
        try await self.withClient { server, client in
            _ = try await self.connect(client, server)
            try await client.publish(topic: "q0/t", payload: ByteBuffer(string: "exact"), qos: .atMostOnce)
            guard case .publish(let publish) = try await server.nextPacket() else { throw TestFailure("no PUBLISH") }
            #expect(publish.qos == .atMostOnce && !publish.dup && publish.packetID == nil)
            #expect(publish.payload == ByteBuffer(string: "exact"))
        }
    }

    @Test("[MQTT-3.3.1-4] [MQTT-2.2.2-2] [MQTT-4.8.0-1] a PUBLISH with both QoS bits set makes the client close the connection")
    func malformedPublishFromServer() async throws {
        try await self.withClient { server, client in
            _ = try await self.connect(client, server)
            try await server.sendRaw([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01])
            try await server.expectClosed()
        }
    }

    @Test("[MQTT-4.4.0-1] [MQTT-4.3.3-1] after a reconnect the client re-sends an unanswered PUBREL, not the PUBLISH")
    func pubrelResentAfterReconnect() async throws {
        try await self.withClient({
            $0.cleanSession = false
            $0.reconnect = MQTTReconnectPolicy(initialDelay: .milliseconds(50), maxDelay: .milliseconds(50), jitter: 0)
        }) { server, client in
            _ = try await self.connect(client, server)
            let published = client.publishFuture(topic: "q2/t", payload: ByteBuffer(string: "x"), qos: .exactlyOnce)
            guard case .publish(let publish) = try await server.nextPacket(), let id = publish.packetID else { throw TestFailure("no PUBLISH") }
            try await server.send(.pubrec(packetID: id))
            #expect(try await server.nextPacket() == .pubrel(packetID: id))
            await server.dropConnection()
            try await server.expectClosed()
            try await server.accept(sessionPresent: true)
            #expect(try await server.nextPacket() == .pubrel(packetID: id))
            try await server.send(.pubcomp(packetID: id))
            try await published.get()
            try await server.expectSilence(for: .milliseconds(150))
        }
    }
}
