import NIOCore

/// PUBLISH: an application message. The payload is a slice of the read buffer, never copied.
public struct PublishPacket: Sendable, Hashable {
    public var topic: String
    public var payload: ByteBuffer
    public var qos: QoS
    public var retain: Bool
    public var dup: Bool
    /// Present exactly when `qos` is 1 or 2.
    public var packetID: UInt16?

    public init(
        topic: String,
        payload: ByteBuffer,
        qos: QoS = .atMostOnce,
        retain: Bool = false,
        dup: Bool = false,
        packetID: UInt16? = nil
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.dup = dup
        self.packetID = packetID
    }
}
