import MQTTCore
import NIOCore

/// What a packet-level test peer (a raw client or server) receives from the other side, in order.
public enum RawPeerEvent: Sendable {
    case packet(MQTTPacket)
    case closed
}

/// What a packet-level test peer sends: packets, or bytes that need not be a packet at all.
public enum RawPeerOutgoing: Sendable {
    case packet(MQTTPacket)
    case raw([UInt8])
}

/// The events of one raw MQTT connection (packets and the close) for a test to wait on, each
/// wait bounded by a timer on the connection's event loop. Used by one test task at a time.
public final class RawPeerInbox: @unchecked Sendable {
    // @unchecked: the iterator and the tick counter are touched only by the test task that waits.

    /// Packets, the close, and timer ticks that end a wait, all through one stream.
    private enum Item: Sendable {
        case event(RawPeerEvent)
        case tick(Int)
    }

    private let continuation: AsyncStream<Item>.Continuation
    private var iterator: AsyncStream<Item>.AsyncIterator
    private var ticks = 0

    public init() {
        let (items, continuation) = AsyncStream<Item>.makeStream()
        self.continuation = continuation
        self.iterator = items.makeAsyncIterator()
    }

    /// Adds the encoder (``RawPeerOutgoing``), the packet decoder and the handler that feeds
    /// this inbox to a connection's pipeline.
    public func addHandlers(to pipeline: ChannelPipeline.SynchronousOperations, protocolVersion: ProtocolVersion? = nil) throws {
        try pipeline.addHandlers(
            MessageToByteHandler(Encoder()),
            ByteToMessageHandler(MQTTPacketDecoder(protocolVersion: protocolVersion)),
            Collector(self.continuation)
        )
    }

    /// The next event, or nil after `timeout`.
    public func next(timeout: Duration, on eventLoop: any EventLoop) async -> RawPeerEvent? {
        self.ticks += 1
        let token = self.ticks
        let continuation = self.continuation
        let nanoseconds = Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { continuation.yield(.tick(token)) }
        while let item = await self.iterator.next() {
            switch item {
            case .event(let event): return event
            case .tick(token): return nil
            case .tick: continue  // an earlier wait's timer
            }
        }
        return nil
    }

    private struct Encoder: MessageToByteEncoder {
        typealias OutboundIn = RawPeerOutgoing
        func encode(data: RawPeerOutgoing, out: inout ByteBuffer) throws {
            switch data {
            case .packet(let packet): try packet.write(to: &out)
            case .raw(let bytes): out.writeBytes(bytes)
            }
        }
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = MQTTPacket
        let continuation: AsyncStream<Item>.Continuation
        init(_ continuation: AsyncStream<Item>.Continuation) { self.continuation = continuation }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.continuation.yield(.event(.packet(Self.unwrapInboundIn(data))))
        }
        func channelInactive(context: ChannelHandlerContext) { self.continuation.yield(.event(.closed)) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}
