import NIOCore
import Synchronization

/// The publisher's side of one QoS 1/2 PUBLISH that went to shared-subscription groups: the
/// publisher gets its PUBACK (PUBREC) only when every group's member has acknowledged its copy.
/// With the v2k-bridge acknowledging after Kafka's delivery report, a device's PUBACK then means
/// "in Kafka".
///
/// A count of holds: one while routing is in progress, one per group copy. The copies travel with
/// the message (through hand-overs to other members) and release their hold exactly once, when
/// the member acknowledges (or is sent the copy at QoS 0). The last release tells the publisher's
/// connection, on its own loop (through that loop's inbox, batched); a publisher gone meanwhile is
/// simply not told.
final class DeliveryAcknowledgement: @unchecked Sendable {
    /// Position in the publisher's acknowledgement queue.
    let sequence: UInt64
    private let holds = Atomic<Int>(1)
    private let inbox: AcknowledgementInbox
    private let publisher: PublisherLink

    init(sequence: UInt64, publisher: PublisherLink, inbox: AcknowledgementInbox) {
        self.sequence = sequence
        self.publisher = publisher
        self.inbox = inbox
    }

    /// One more copy must be acknowledged (called while routing, before `routed`).
    func hold() {
        self.holds.add(1, ordering: .relaxed)
    }

    /// Routing is over: from now on the copies alone decide.
    func routed() { self.release() }

    /// A member acknowledged its copy.
    func release() {
        guard self.holds.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        self.inbox.post(self)
    }

    /// On the publisher's loop, from its inbox.
    func tellPublisher() {
        self.publisher.connection?.deliveryAcknowledged(self.sequence)
    }
}

/// A connection whose PUBLISHes may be acknowledged later than they arrive.
protocol AcknowledgingPublisher: AnyObject {
    /// On the connection's loop: every copy of the message at `sequence` was acknowledged. The
    /// caller flushes the loop's connections after a batch of these.
    func deliveryAcknowledged(_ sequence: UInt64)
}

/// The connection a publisher's acknowledgements report to, until it closes: a message waiting
/// for an offline member keeps this small object in memory, not the closed connection. (A weak
/// reference would do the same, but gives the connection a side table, and every retain and
/// release of it then takes the slow path: a few percent of the broker's CPU at QoS 1.)
/// Read and written on the connection's loop only.
final class PublisherLink: @unchecked Sendable {
    private(set) var connection: (any AcknowledgingPublisher)?

    init(_ connection: any AcknowledgingPublisher) { self.connection = connection }

    /// The connection closed: later acknowledgements tell no one.
    func cut() { self.connection = nil }
}

/// A publisher's acknowledgement made on first need: most QoS 1 PUBLISHes match no shared group
/// and no stored session, and then nothing is allocated for them.
struct AcknowledgementSlot {
    let sequence: UInt64
    let publisher: PublisherLink
    let inbox: AcknowledgementInbox
    private(set) var acknowledgement: DeliveryAcknowledgement?

    init(sequence: UInt64, publisher: PublisherLink, inbox: AcknowledgementInbox) {
        self.sequence = sequence
        self.publisher = publisher
        self.inbox = inbox
    }

    /// One more thing (a member's acknowledgement, a store commit) the publisher waits for.
    mutating func hold() -> DeliveryAcknowledgement {
        let acknowledgement = self.acknowledgement ?? DeliveryAcknowledgement(sequence: self.sequence, publisher: self.publisher, inbox: self.inbox)
        acknowledgement.hold()
        self.acknowledgement = acknowledgement
        return acknowledgement
    }

    /// Routing and storing are done: from now on the holds alone decide.
    func finish() { self.acknowledgement?.routed() }
}
