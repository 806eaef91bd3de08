import MQTTCore
import NIOCore

/// MQTTCore's parser over the bytes one connection receives. It lives inside the connection handler rather than in a `ByteToMessageHandler` of
/// its own: that handler, its context and its two ring buffers cost every connection about 600
/// bytes, and every packet a pipeline hop. Bytes are held only while a packet is incomplete, so an
/// idle connection holds no buffer (and the channel's pooled receive buffer stays reusable).
///
/// The first packet (CONNECT) has its own, small limit: before it nobody is known, and a
/// connection must not hold much memory for a stranger.
struct BrokerPacketDecoder {
    private var parser: MQTTPacketParser
    private let packetLimit: Int
    private var awaitingFirstPacket = true
    /// Received bytes not yet taken as packets; nil when there are none.
    private var received: ByteBuffer?

    init(connectLimit: Int, packetLimit: Int) {
        self.parser = MQTTPacketParser(limits: .init(maxPacketSize: min(connectLimit, packetLimit)))
        self.packetLimit = packetLimit
    }

    /// Adds bytes behind those of an incomplete packet. A packet's size is checked against the limit
    /// as soon as its fixed header is here, so what is held stays under the limit plus one read.
    mutating func receive(_ bytes: inout ByteBuffer) {
        guard var held = self.received else {
            self.received = bytes
            return
        }
        self.received = nil
        // What was taken is dropped before appending, so that the storage does not grow read by read.
        held.discardReadBytes()
        held.writeBuffer(&bytes)
        self.received = held
    }

    /// Takes the next whole packet, or returns nil until all of one is here.
    mutating func next() throws(MQTTDecodingError) -> MQTTPacket? {
        guard var buffer = self.received else { return nil }
        self.received = nil
        defer { self.received = buffer.readableBytes > 0 ? buffer : nil }
        guard let packet = try self.parser.parse(&buffer) else { return nil }
        if self.awaitingFirstPacket {
            self.awaitingFirstPacket = false
            self.parser.limits.maxPacketSize = self.packetLimit
        }
        return packet
    }

    /// Forgets what is held (after a decoding error, nothing more is read).
    mutating func discard() {
        self.received = nil
    }
}
