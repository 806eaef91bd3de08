import NIOCore

/// Writes `MQTTPacket`s to bytes in a channel pipeline.
public struct MQTTPacketEncoder: MessageToByteEncoder {
    public typealias OutboundIn = MQTTPacket

    public init() {}

    public func encode(data: MQTTPacket, out: inout ByteBuffer) throws {
        try data.write(to: &out)
    }
}
