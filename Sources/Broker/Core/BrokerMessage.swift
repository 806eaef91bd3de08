import MQTTCore
import NIOCore

/// An application message as routed inside the broker: one value shared by every recipient (the
/// topic string and payload buffer are reference-counted, not copied).
struct BrokerMessage: Sendable {
    var topic: String
    var payload: ByteBuffer
    var qos: QoS
    var retain: Bool
}

/// Which shared subscription a message was delivered through, so that it can be handed to
/// another member when its recipient goes away.
struct SharedGroupKey: Sendable, Hashable {
    var group: String
    var filter: String
}

/// A message waiting in, or in flight from, a session's outbound queue.
struct OutboundMessage: Sendable {
    var message: BrokerMessage
    /// The QoS it is delivered at: the lower of the published and the granted QoS.
    var qos: QoS
    /// Set when the message came through a retained-message replay or keeps its retain flag.
    var retain: Bool
    var sharedGroup: SharedGroupKey?
    /// Set on a shared-group copy whose publisher waits for its acknowledgement.
    var acknowledgement: DeliveryAcknowledgement? = nil
    /// Its sequence in the durable store, once its session has stored it.
    var storeSequence: UInt64? = nil

    /// This copy's delivery is done (acknowledged by the member, or sent at QoS 0).
    func delivered() { self.acknowledgement?.release() }
}
