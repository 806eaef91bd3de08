import MQTTCore
import NIOCore

/// An application message as routed inside the broker: one immutable object shared by every
/// recipient. An object, not a struct: a message is copied through routing, queue and in-flight
/// window, and each copy then costs one reference count instead of one per field (topic, payload).
final class BrokerMessage: Sendable {
    let topic: String
    let payload: ByteBuffer
    let qos: QoS
    let retain: Bool

    init(topic: String, payload: ByteBuffer, qos: QoS, retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}

/// Which shared subscription a message was delivered through, so that it can be handed to
/// another member when its recipient goes away. A class: every queued or in-flight copy of a
/// shared message carries it, and copying a reference is one retain where two strings are two.
final class SharedGroupKey: Sendable, Hashable {
    let group: String
    let filter: String

    init(group: String, filter: String) {
        self.group = group
        self.filter = filter
    }

    static func == (lhs: SharedGroupKey, rhs: SharedGroupKey) -> Bool {
        lhs === rhs || (lhs.group == rhs.group && lhs.filter == rhs.filter)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(self.group)
        hasher.combine(self.filter)
    }
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
