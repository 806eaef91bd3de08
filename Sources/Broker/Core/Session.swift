import MQTTCore
import NIOCore
import Synchronization

/// The broker's state for one client id: subscriptions, outbound queue and in-flight window,
/// inbound QoS 2 ids. It outlives connections when the client asked for a persistent session.
///
/// Ownership: the mutable state belongs to the loop router whose index is in `location` and is
/// touched only on that router's event loop. A session moves to another loop (when its client
/// reconnects there) by its current owner detaching it and storing the new location; the hand-off
/// through `EventLoop.execute` orders the two loops' accesses. Hence `@unchecked Sendable`.
final class Session: @unchecked Sendable {
    /// The owning identity and the client id: only that identity resumes or replaces the session.
    let key: SessionKey
    var clientID: String { self.key.clientID }
    /// Index of the loop router that owns the mutable state.
    let location: Atomic<Int>
    /// Queue length and online flag, readable from any loop to pick a shared-group member.
    let queuedCount = Atomic<Int>(0)
    let online = Atomic<Bool>(false)

    // Owned by the router at `location`.
    var cleanSession: Bool
    private(set) var connection: (any SessionConnection)?
    /// Subscription filter as the client sent it -> granted QoS.
    var subscriptions: [String: QoS] = [:]
    /// Starts tiny: most sessions (idle devices) never queue anything, and 16 empty slots of
    /// `OutboundMessage` would cost about 1.6 KB per connection.
    private var pending = CircularBuffer<OutboundMessage>(initialCapacity: 1)
    private var inflight = InflightWindow()
    /// Inbound QoS 2 packet ids routed but not yet released (duplicates are not routed again).
    var awaitingPubRel: Set<UInt16> = []
    private let limits: BrokerLimits
    private let metrics: BrokerMetrics

    init(key: SessionKey, cleanSession: Bool, location: Int, limits: BrokerLimits, metrics: BrokerMetrics) {
        self.key = key
        self.cleanSession = cleanSession
        self.location = Atomic(location)
        self.limits = limits
        self.metrics = metrics
    }

    var isOnline: Bool { self.connection != nil }
    /// Messages not yet acknowledged by the client or still queued for it.
    var hasUndelivered: Bool { !self.pending.isEmpty || self.inflight.count > 0 }
    /// Set when the session has ended; late deliveries to it are handed elsewhere.
    private(set) var isTerminated = false
    /// Counts attachments, so that an expiry timer set when the client left can tell whether
    /// it came back meanwhile.
    private(set) var attachments = 0

    // MARK: Delivery

    enum EnqueueResult { case accepted, dropped, overLimit }

    /// Takes one message for this client: sends it at once when the window allows, queues it
    /// otherwise. QoS 0 messages are never queued for an offline client.
    @discardableResult
    func enqueue(_ message: OutboundMessage) -> EnqueueResult {
        if message.qos == .atMostOnce {
            guard let connection = self.connection else {
                // At most once, as the subscriber asked: nothing left to wait for.
                message.delivered()
                return .dropped
            }
            if connection.isWritable && self.pending.isEmpty {
                self.send(message, on: connection)
                return .accepted
            }
        } else if let connection = self.connection, self.pending.isEmpty, self.inflight.count < self.limits.maxInflight {
            self.send(message, on: connection)
            return .accepted
        }
        self.pending.append(message)
        var result = EnqueueResult.accepted
        if self.pending.count > self.limits.maxQueued {
            if message.sharedGroup != nil {
                // Shared-subscription messages are never dropped; the router slows publishers down.
                result = .overLimit
            } else {
                self.pending.removeFirst()
                self.metrics.queueDrops.increment()
                result = .dropped
            }
        }
        self.queuedCount.store(self.pending.count, ordering: .relaxed)
        return result
    }

    /// Sends queued messages while the in-flight window and the socket allow.
    func pump() {
        guard let connection = self.connection else { return }
        while let next = self.pending.first {
            if next.qos == .atMostOnce {
                guard connection.isWritable else { break }
            } else if self.inflight.count >= self.limits.maxInflight {
                break
            }
            self.send(self.pending.removeFirst(), on: connection)
        }
        self.queuedCount.store(self.pending.count, ordering: .relaxed)
    }

    private func send(_ message: OutboundMessage, on connection: any SessionConnection) {
        var packetID: UInt16?
        if message.qos != .atMostOnce { packetID = self.inflight.add(message) }
        connection.write(publish: PublishPacket(
            topic: message.message.topic, payload: message.message.payload, qos: message.qos,
            retain: message.retain, dup: false, packetID: packetID
        ))
        if message.qos == .atMostOnce { message.delivered() }
        self.metrics.messagesOut(message.qos)
    }

    // MARK: Acknowledgements from the client

    func pubAck(_ id: UInt16) {
        guard let entry = self.inflight.acknowledge(id, stage: .awaitingPubAck) else { return }
        entry.message.delivered()
        self.pump()
    }

    /// PUBREC is answered with PUBREL even for an unknown id, so that the client can finish. The
    /// member has a QoS 2 copy once it sent PUBREC: that releases the publisher's acknowledgement.
    func pubRec(_ id: UInt16) {
        self.inflight.received(id).firstReceipt?.delivered()
        self.connection?.write(packet: .pubrel(packetID: id))
    }

    func pubComp(_ id: UInt16) {
        if self.inflight.acknowledge(id, stage: .awaitingPubComp) != nil { self.pump() }
    }

    // MARK: Connection life

    /// A connection takes this session: in-flight messages are sent again (PUBLISH with DUP, or
    /// PUBREL for those past PUBREC), in order, then the queue.
    func attach(_ connection: any SessionConnection) {
        self.connection = connection
        self.attachments += 1
        self.online.store(true, ordering: .releasing)
        for entry in self.inflight.entries {
            switch entry.stage {
            case .awaitingPubComp:
                connection.write(packet: .pubrel(packetID: entry.packetID))
            case .awaitingPubAck, .awaitingPubRec:
                let message = entry.message
                connection.write(publish: PublishPacket(
                    topic: message.message.topic, payload: message.message.payload, qos: message.qos,
                    retain: message.retain, dup: true, packetID: entry.packetID
                ))
            }
        }
        self.pump()
    }

    /// The connection went away (or is being replaced). Returns the messages that came through
    /// shared subscriptions, for the router to give to other members of their groups.
    func detach() -> [OutboundMessage] {
        self.connection = nil
        self.online.store(false, ordering: .releasing)
        var handedOver = self.inflight.removeShared()
        var kept = CircularBuffer<OutboundMessage>(initialCapacity: 1)
        while let message = self.pending.popFirst() {
            if message.sharedGroup != nil {
                handedOver.append(message)
            } else if message.qos != .atMostOnce {
                kept.append(message)
            }
        }
        self.pending = kept
        self.queuedCount.store(self.pending.count, ordering: .relaxed)
        return handedOver
    }

    /// The session ends (clean session, or replaced by a clean one). Returns every message that
    /// came through a shared subscription; the rest is dropped with the session.
    func terminate() -> [OutboundMessage] {
        self.isTerminated = true
        self.connection = nil
        self.online.store(false, ordering: .releasing)
        var handedOver = self.inflight.removeAll().filter { $0.sharedGroup != nil }
        while let message = self.pending.popFirst() {
            if message.sharedGroup != nil { handedOver.append(message) }
        }
        self.queuedCount.store(0, ordering: .relaxed)
        return handedOver
    }

    /// The session is moving to another loop with its client's new connection: it keeps its
    /// in-flight and queued messages (but QoS 0 ones, which are never kept offline).
    func suspend() {
        self.connection = nil
        self.online.store(false, ordering: .releasing)
        var kept = CircularBuffer<OutboundMessage>(initialCapacity: 1)
        while let message = self.pending.popFirst() {
            if message.qos != .atMostOnce { kept.append(message) }
        }
        self.pending = kept
        self.queuedCount.store(self.pending.count, ordering: .relaxed)
    }

    /// Closes the current connection because a newer one took the session.
    func dropConnectionForTakeover() {
        self.connection?.closeForTakeover()
    }
}
