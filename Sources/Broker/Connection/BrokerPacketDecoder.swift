import MQTTCore
import NIOCore

/// MQTTCore's parser framed for the broker's pipeline, counting the bytes of each packet as it
/// is taken (cheaper than a separate counting handler on every connection). The first packet
/// (CONNECT) has its own, small limit: before it nobody is known, and a connection must not hold
/// much memory for a stranger.
struct BrokerPacketDecoder: ByteToMessageDecoder {
    typealias InboundOut = MQTTPacket

    private var parser: MQTTPacketParser
    private let metrics: BrokerMetrics
    private let packetLimit: Int
    private var awaitingFirstPacket = true

    init(connectLimit: Int, packetLimit: Int, metrics: BrokerMetrics) {
        self.parser = MQTTPacketParser(limits: .init(maxPacketSize: min(connectLimit, packetLimit)))
        self.packetLimit = packetLimit
        self.metrics = metrics
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let start = buffer.readerIndex
        guard let packet = try self.parser.parse(&buffer) else { return .needMoreData }
        self.metrics.bytesIn.increment(by: buffer.readerIndex - start)
        if self.awaitingFirstPacket {
            self.awaitingFirstPacket = false
            self.parser.limits.maxPacketSize = self.packetLimit
        }
        context.fireChannelRead(Self.wrapInboundOut(packet))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try self.decode(context: context, buffer: &buffer)
    }
}
