/// Every MQTT 3.1/3.1.1 control packet. One model serves both protocol levels; only CONNECT
/// carries the level.
public enum MQTTPacket: Sendable, Hashable {
    case connect(ConnectPacket)
    case connack(ConnAckPacket)
    case publish(PublishPacket)
    case puback(packetID: UInt16)
    case pubrec(packetID: UInt16)
    case pubrel(packetID: UInt16)
    case pubcomp(packetID: UInt16)
    case subscribe(SubscribePacket)
    case suback(SubAckPacket)
    case unsubscribe(UnsubscribePacket)
    case unsuback(packetID: UInt16)
    case pingreq
    case pingresp
    case disconnect

    public var type: PacketType {
        switch self {
        case .connect: .connect
        case .connack: .connack
        case .publish: .publish
        case .puback: .puback
        case .pubrec: .pubrec
        case .pubrel: .pubrel
        case .pubcomp: .pubcomp
        case .subscribe: .subscribe
        case .suback: .suback
        case .unsubscribe: .unsubscribe
        case .unsuback: .unsuback
        case .pingreq: .pingreq
        case .pingresp: .pingresp
        case .disconnect: .disconnect
        }
    }
}
