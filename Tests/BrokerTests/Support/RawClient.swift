import BrokerTestSupport
import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL
import TestSupport

/// A packet-level MQTT peer for tests: sends exactly the packets a test names (or raw bytes)
/// and hands every packet the broker sends to the test, so that tests can hold back
/// acknowledgements, repeat packets, or misbehave on purpose.
/// Used by one test task at a time.
final class RawClient {
    typealias Event = RawPeerEvent

    private let channel: any Channel
    private let inbox: RawPeerInbox

    init(port: Int, group: any EventLoopGroup, version: ProtocolVersion = .v3_1_1) async throws {
        let inbox = RawPeerInbox()
        self.inbox = inbox
        self.channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try inbox.addHandlers(to: channel.pipeline.syncOperations, protocolVersion: version)
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    /// Starts TLS on the open connection, as late as the test wants (e.g. after a CRL change).
    func startTLS(_ configuration: TLSConfiguration, serverHostname: String = "localhost") async throws {
        let context = try NIOSSLContext(configuration: configuration)
        let channel = self.channel
        try await channel.eventLoop.submit {
            let handler = try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
            try channel.pipeline.syncOperations.addHandler(handler, position: .first)
        }.get()
    }

    /// Connects and returns the CONNACK.
    static func connect(
        _ broker: TestBroker, clientID: String, cleanSession: Bool = true, username: String? = nil,
        keepAlive: UInt16 = 60, will: ConnectPacket.Will? = nil, version: ProtocolVersion = .v3_1_1
    ) async throws -> (RawClient, ConnAckPacket) {
        try await self.connect(
            port: broker.port, group: broker.group, clientID: clientID, cleanSession: cleanSession, username: username,
            keepAlive: keepAlive, will: will, version: version
        )
    }

    static func connect(
        port: Int, group: any EventLoopGroup, clientID: String, cleanSession: Bool = true, username: String? = nil,
        keepAlive: UInt16 = 60, will: ConnectPacket.Will? = nil, version: ProtocolVersion = .v3_1_1
    ) async throws -> (RawClient, ConnAckPacket) {
        let client = try await RawClient(port: port, group: group, version: version)
        try await client.send(
            .connect(
                ConnectPacket(
                    protocolVersion: version, clientID: clientID, cleanSession: cleanSession, keepAlive: keepAlive,
                    will: will, username: username
                )))
        guard case .packet(.connack(let connack)) = try await client.next() else {
            throw TestFailure("no CONNACK for \(clientID)")
        }
        return (client, connack)
    }

    func send(_ packet: MQTTPacket) async throws {
        try await self.channel.writeAndFlush(RawPeerOutgoing.packet(packet))
    }

    func sendRaw(_ bytes: [UInt8]) async throws {
        try await self.channel.writeAndFlush(RawPeerOutgoing.raw(bytes))
    }

    /// The next event from the broker, or nil after `timeout`.
    func next(timeout: Duration = .seconds(5)) async throws -> Event? {
        await self.inbox.next(timeout: timeout, on: self.channel.eventLoop)
    }

    /// The next PUBLISH, skipping nothing: any other packet fails the test.
    func nextPublish(timeout: Duration = .seconds(5)) async throws -> PublishPacket {
        guard let event = try await self.next(timeout: timeout) else { throw TestFailure("no PUBLISH within \(timeout)") }
        guard case .packet(.publish(let publish)) = event else { throw TestFailure("expected PUBLISH, got \(event)") }
        return publish
    }

    /// Expects the broker to send nothing for `duration`.
    func expectSilence(for duration: Duration = .milliseconds(300)) async throws {
        if let event = try await self.next(timeout: duration) { throw TestFailure("expected silence, got \(event)") }
    }

    /// Waits until the broker closes the connection (other packets before it are skipped).
    func expectClosed(timeout: Duration = .seconds(5)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch try await self.next(timeout: deadline - ContinuousClock.now) {
            case .closed: return
            case .packet: continue
            case nil: break
            }
        }
        throw TestFailure("connection still open after \(timeout)")
    }

    func subscribe(_ filters: [(String, QoS)], id: UInt16 = 1) async throws -> [SubAckReturnCode] {
        try await self.send(.subscribe(SubscribePacket(packetID: id, subscriptions: filters.map { .init(filter: $0.0, qos: $0.1) })))
        guard case .packet(.suback(let suback)) = try await self.next() else { throw TestFailure("no SUBACK") }
        return suback.returnCodes
    }

    func publish(_ topic: String, _ payload: String, qos: QoS = .atMostOnce, retain: Bool = false, id: UInt16? = nil, dup: Bool = false) async throws {
        try await self.send(
            .publish(
                PublishPacket(
                    topic: topic, payload: ByteBuffer(string: payload), qos: qos, retain: retain, dup: dup,
                    packetID: qos == .atMostOnce ? nil : (id ?? 1)
                )))
    }

    /// Closes the socket without DISCONNECT (an unclean end: the will is published).
    func drop() async {
        try? await self.channel.close()
    }

    func disconnect() async {
        try? await self.send(.disconnect)
        try? await self.channel.close()
    }
}

extension PublishPacket {
    var payloadString: String { String(buffer: self.payload) }
}
