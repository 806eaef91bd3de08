import NIOCore

/// An application message from the broker.
///
/// QoS 1 and 2 messages are acknowledged to the broker only when the application calls
/// `acknowledge()` (unless the client acknowledges automatically). An unacknowledged message is
/// redelivered by the broker after a reconnect when the session is kept.
public struct MQTTInboundMessage: Sendable {
    /// The PUBLISH as received; its payload is a slice of the read buffer.
    public let packet: PublishPacket
    let acknowledgement: Acknowledgement?

    public var topic: String { self.packet.topic }
    public var payload: ByteBuffer { self.packet.payload }
    public var qos: QoS { self.packet.qos }
    public var retain: Bool { self.packet.retain }
    public var dup: Bool { self.packet.dup }
    /// The broker's identifier for this delivery (QoS 1/2), for logs.
    public var packetID: UInt16? { self.packet.packetID }

    /// What `acknowledge()` needs: the client and the session or connection the delivery
    /// belongs to, so that an acknowledgement never lands on a different delivery that reuses
    /// the packet identifier.
    struct Acknowledgement: Sendable {
        enum Token: Sendable, Hashable {
            /// QoS 1: the connection that delivered the message.
            case connection(UInt64)
            /// QoS 2: the broker session that holds the packet identifier.
            case session(UInt64)
        }

        let client: MQTTClient
        let token: Token
    }

    init(_ packet: PublishPacket, acknowledgement: Acknowledgement?) {
        self.packet = packet
        self.acknowledgement = acknowledgement
    }

    /// Sends PUBACK (QoS 1) or PUBREC (QoS 2, and PUBCOMP when PUBREL comes). Does nothing for
    /// QoS 0, for messages already acknowledged, and for a QoS 1 message whose connection has
    /// gone (the broker will deliver it again).
    public func acknowledge() {
        self.acknowledgement?.client.acknowledge(self)
    }
}
