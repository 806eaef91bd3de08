import MQTTCore
import NIOCore

/// MQTTCore's parser framed for the broker's pipeline, counting the bytes of each packet as it
/// is taken (cheaper than a separate counting handler on every connection).
struct BrokerPacketDecoder: ByteToMessageDecoder {
    typealias InboundOut = MQTTPacket

    private var parser: MQTTPacketParser
    private let metrics: BrokerMetrics

    init(limits: MQTTDecoderLimits, metrics: BrokerMetrics) {
        self.parser = MQTTPacketParser(limits: limits)
        self.metrics = metrics
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let start = buffer.readerIndex
        guard let packet = try self.parser.parse(&buffer) else { return .needMoreData }
        self.metrics.bytesIn.increment(by: buffer.readerIndex - start)
        context.fireChannelRead(Self.wrapInboundOut(packet))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try self.decode(context: context, buffer: &buffer)
    }
}
