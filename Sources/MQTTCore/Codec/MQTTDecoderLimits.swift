/// Limits the decoder enforces before it buffers anything.
public struct MQTTDecoderLimits: Sendable, Hashable {
    /// The largest whole packet (fixed header included) accepted. The spec's own ceiling is
    /// 268,435,460 bytes; servers should set far less.
    public var maxPacketSize: Int

    public init(maxPacketSize: Int = 268_435_460) {
        precondition(maxPacketSize >= 2, "a packet has at least two bytes")
        self.maxPacketSize = maxPacketSize
    }
}
