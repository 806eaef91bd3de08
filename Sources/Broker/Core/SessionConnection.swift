import MQTTCore
import NIOCore

/// What a session needs from the connection it is attached to. Implemented by the connection's
/// channel handler; called only on that connection's event loop.
protocol SessionConnection: AnyObject {
    var isWritable: Bool { get }
    /// Writes without flushing; the router flushes once per batch.
    func write(publish: PublishPacket)
    func write(packet: MQTTPacket)
    /// The session was taken over by a newer connection: close without publishing the will.
    func closeForTakeover()
}
