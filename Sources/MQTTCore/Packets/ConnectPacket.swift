import NIOCore

/// CONNECT: the first packet of every client connection.
public struct ConnectPacket: Sendable, Hashable {
    /// The last-will message the server publishes when the connection ends without DISCONNECT.
    public struct Will: Sendable, Hashable {
        public var topic: String
        public var payload: ByteBuffer
        public var qos: QoS
        public var retain: Bool

        public init(topic: String, payload: ByteBuffer, qos: QoS = .atMostOnce, retain: Bool = false) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
        }
    }

    public var protocolVersion: ProtocolVersion
    public var clientID: String
    public var cleanSession: Bool
    /// Seconds; 0 turns keepalive off.
    public var keepAlive: UInt16
    public var will: Will?
    public var username: String?
    public var password: ByteBuffer?

    public init(
        protocolVersion: ProtocolVersion = .v3_1_1,
        clientID: String,
        cleanSession: Bool = true,
        keepAlive: UInt16 = 60,
        will: Will? = nil,
        username: String? = nil,
        password: ByteBuffer? = nil
    ) {
        self.protocolVersion = protocolVersion
        self.clientID = clientID
        self.cleanSession = cleanSession
        self.keepAlive = keepAlive
        self.will = will
        self.username = username
        self.password = password
    }
}
