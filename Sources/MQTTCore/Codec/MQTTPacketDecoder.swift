import NIOCore

/// Frames MQTT packets for a channel pipeline. Wrap it in
/// `ByteToMessageHandler(MQTTPacketDecoder(...), maximumBufferSize: limits.maxPacketSize)`.
public struct MQTTPacketDecoder: ByteToMessageDecoder {
    public typealias InboundOut = MQTTPacket

    public private(set) var parser: MQTTPacketParser

    public init(limits: MQTTDecoderLimits = .init(), protocolVersion: ProtocolVersion? = nil) {
        self.parser = MQTTPacketParser(limits: limits, protocolVersion: protocolVersion)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let packet = try self.parser.parse(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(packet))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        // A partial packet at EOF is dropped with the connection; whole ones are still delivered.
        try self.decode(context: context, buffer: &buffer)
    }
}
