/// Why bytes from a peer are not a valid MQTT packet. Each one closes that connection; the
/// decoder never crashes and never buffers past its limit.
public enum MQTTDecodingError: Error, Hashable, Sendable {
    /// The remaining length used more than four bytes.
    case malformedRemainingLength
    /// The whole packet (fixed header included) would be larger than the configured limit.
    case packetTooLarge(size: Int, limit: Int)
    /// Packet type 0 or 15.
    case reservedPacketType(UInt8)
    /// Fixed-header flag bits that the type reserves were not as the spec requires.
    case invalidFlags(PacketType, flags: UInt8)
    case invalidQoS(UInt8)
    /// DUP set on a QoS 0 PUBLISH (MQTT-3.3.1-2).
    case duplicateFlagOnQoS0
    /// Packet identifiers must be non-zero (MQTT-2.3.1-1).
    case zeroPacketIdentifier(PacketType)
    /// The body ended before a field it announced.
    case truncated(PacketType)
    /// The body has bytes left after its last field.
    case trailingBytes(PacketType, count: Int)
    case invalidUTF8(PacketType)
    /// U+0000 inside a string (MQTT-1.5.3-2).
    case nullCharacter(PacketType)
    case invalidProtocolName(String)
    /// A known protocol name with a level we do not speak: answer CONNACK 0x01, then close.
    case unsupportedProtocolLevel(UInt8)
    case invalidConnectFlags(UInt8)
    case invalidTopicName(String, TopicError)
    case invalidTopicFilter(String, TopicError)
    /// SUBSCRIBE or UNSUBSCRIBE without any filter, or SUBACK without return codes.
    case emptyPayload(PacketType)
    case invalidSubscriptionOptions(UInt8)
    case invalidSubAckReturnCode(UInt8)
    case invalidConnAckFlags(UInt8)
    case invalidConnAckReturnCode(UInt8)
}

/// Why a packet cannot be written.
public enum MQTTEncodingError: Error, Hashable, Sendable {
    /// Strings and binary fields carry a 16-bit length.
    case fieldTooLong(bytes: Int)
    /// The remaining length is limited to 268,435,455 bytes.
    case packetTooLarge(remainingLength: Int)
    /// QoS 1/2 PUBLISH without a packet identifier, or with 0.
    case missingPacketIdentifier
}
