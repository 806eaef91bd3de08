import NIOCore
import NIOPosix

/// Everything an `MQTTClient` needs to know, fixed when the client is made.
public struct MQTTClientConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Plain TCP when nil.
    public var tls: MQTTClientTLS?
    public var clientID: String
    /// Off keeps the broker's session (subscriptions, queued and unacknowledged messages) across
    /// connections, and this client retransmits its unacknowledged publishes after a reconnect.
    public var cleanSession: Bool
    /// Zero turns keepalive off. MQTT carries whole seconds.
    public var keepAlive: TimeAmount
    /// How long to wait for PINGRESP before the connection counts as dead; capped by `keepAlive`.
    public var pingTimeout: TimeAmount
    public var will: ConnectPacket.Will?
    public var username: String?
    public var password: ByteBuffer?
    public var protocolVersion: ProtocolVersion
    /// Outgoing QoS 1/2 publishes the broker has not yet acknowledged; more wait their turn.
    public var inflightWindow: Int
    public var reconnect: MQTTReconnectPolicy
    /// From the start of the TCP connection until CONNACK, TLS handshake included.
    public var connectTimeout: TimeAmount
    /// The largest packet accepted from the broker; a larger one closes the connection.
    public var maxPacketSize: Int
    /// When true the client acknowledges every inbound QoS 1/2 message as soon as it is received,
    /// instead of waiting for `MQTTInboundMessage.acknowledge()`.
    public var automaticAcknowledgement: Bool
    /// Inbound messages buffered for the application before the client stops reading the socket.
    public var inboundBuffer: (low: Int, high: Int)
    /// Shared by many clients; every connection of one client lives on one of its event loops.
    public var eventLoopGroup: any EventLoopGroup

    public init(
        host: String,
        port: Int = 1883,
        tls: MQTTClientTLS? = nil,
        clientID: String,
        cleanSession: Bool = true,
        keepAlive: TimeAmount = .seconds(60),
        pingTimeout: TimeAmount = .seconds(10),
        will: ConnectPacket.Will? = nil,
        username: String? = nil,
        password: ByteBuffer? = nil,
        protocolVersion: ProtocolVersion = .v3_1_1,
        inflightWindow: Int = 100,
        reconnect: MQTTReconnectPolicy = .init(),
        connectTimeout: TimeAmount = .seconds(10),
        maxPacketSize: Int = 1 << 20,
        automaticAcknowledgement: Bool = false,
        inboundBuffer: (low: Int, high: Int) = (64, 256),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        precondition(inflightWindow > 0, "the in-flight window holds at least one publish")
        precondition(inboundBuffer.low >= 0 && inboundBuffer.high > inboundBuffer.low, "0 <= low < high")
        self.host = host
        self.port = port
        self.tls = tls
        self.clientID = clientID
        self.cleanSession = cleanSession
        self.keepAlive = keepAlive
        self.pingTimeout = pingTimeout
        self.will = will
        self.username = username
        self.password = password
        self.protocolVersion = protocolVersion
        self.inflightWindow = inflightWindow
        self.reconnect = reconnect
        self.connectTimeout = connectTimeout
        self.maxPacketSize = maxPacketSize
        self.automaticAcknowledgement = automaticAcknowledgement
        self.inboundBuffer = inboundBuffer
        self.eventLoopGroup = eventLoopGroup
    }

    /// Keepalive in whole seconds, as CONNECT carries it (rounded up, at most 65535).
    var keepAliveSeconds: UInt16 {
        guard self.keepAlive.nanoseconds > 0 else { return 0 }
        let seconds = (self.keepAlive.nanoseconds + 999_999_999) / 1_000_000_000
        return UInt16(clamping: seconds)
    }

    var connectPacket: ConnectPacket {
        ConnectPacket(
            protocolVersion: self.protocolVersion, clientID: self.clientID, cleanSession: self.cleanSession,
            keepAlive: self.keepAliveSeconds, will: self.will, username: self.username, password: self.password
        )
    }
}
