import BrokerStore
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
    private(set) var subscriptions: [String: QoS] = [:]
    /// Starts tiny: most sessions (idle devices) never queue anything, and 16 empty slots of
    /// `OutboundMessage` would cost about 1.6 KB per connection.
    private var pending = LazyCircularBuffer<OutboundMessage>()
    private var inflight = InflightWindow()
    /// Inbound QoS 2 packet ids routed but not yet released (duplicates are not routed again).
    private(set) var awaitingPubRel: Set<UInt16> = []
    /// Two of the broker's limits (not all of `BrokerLimits`: a copy per session costs 100 bytes).
    private let maxInflight: Int
    private let maxQueued: Int
    private let metrics: BrokerMetrics
    /// Set for a persistent session of a broker with a data directory: what it holds is stored.
    let durable: DurableStore?
    private var nextStoreSequence: UInt64 = 1

    init(key: SessionKey, cleanSession: Bool, location: Int, limits: BrokerLimits, metrics: BrokerMetrics, store: DurableStore? = nil) {
        self.key = key
        self.cleanSession = cleanSession
        self.location = Atomic(location)
        self.maxInflight = limits.maxInflight
        self.maxQueued = limits.maxQueued
        self.metrics = metrics
        self.durable = cleanSession ? nil : store
    }

    /// The journal of the loop that owns the session now.
    private var journal: LoopJournal? {
        self.durable?.journal(self.location.load(ordering: .relaxed))
    }

    var isOnline: Bool { self.connection != nil }
    /// Messages not yet acknowledged by the client or still queued for it.
    var hasUndelivered: Bool { !self.pending.isEmpty || self.inflight.count > 0 }
    /// Set when the session has ended; late deliveries to it are handed elsewhere.
    private(set) var isTerminated = false
    /// Counts attachments, so that an expiry timer set when the client left can tell whether
    /// it came back meanwhile.
    private(set) var attachments = 0

    // MARK: Subscriptions (the routers' indexes are updated by `BrokerCore`)

    func addSubscription(_ filter: String, qos: QoS) {
        self.subscriptions[filter] = qos
    }

    /// False when the session had no such subscription.
    @discardableResult
    func removeSubscription(_ filter: String) -> Bool {
        self.subscriptions.removeValue(forKey: filter) != nil
    }

    func removeAllSubscriptions() {
        self.subscriptions.removeAll()
    }

    // MARK: Delivery

    enum EnqueueResult { case accepted, dropped, overLimit }

    /// Takes one message for this client: sends it at once when the window allows, queues it
    /// otherwise. QoS 0 messages are never queued for an offline client.
    @discardableResult
    func enqueue(_ message: consuming OutboundMessage) -> EnqueueResult {
        if let durable = self.durable, message.storeSequence == nil, durable.stores(message) {
            let sequence = self.nextStoreSequence
            self.nextStoreSequence += 1
            message.storeSequence = sequence
            // The publisher waits for this write, not for the delivery.
            let acknowledgement = message.acknowledgement
            message.acknowledgement = nil
            self.journal?.add(.putMessage(self.key, message.stored(sequence: sequence)), releasing: acknowledgement)
        }
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
        } else if let connection = self.connection, self.pending.isEmpty, self.inflight.count < self.maxInflight {
            self.send(message, on: connection)
            return .accepted
        }
        self.pending.append(message)
        var result = EnqueueResult.accepted
        if self.pending.count > self.maxQueued {
            if message.sharedGroup != nil {
                // Shared-subscription messages are never dropped; the router slows publishers down.
                result = .overLimit
            } else {
                self.forget(self.pending.removeFirst())
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
        while let qos = self.pending.withFirst({ $0.qos }) {
            if qos == .atMostOnce {
                guard connection.isWritable else { break }
            } else if self.inflight.count >= self.maxInflight {
                break
            }
            self.send(self.pending.removeFirst(), on: connection)
        }
        self.queuedCount.store(self.pending.count, ordering: .relaxed)
    }

    private func send(_ message: consuming OutboundMessage, on connection: any SessionConnection) {
        guard message.qos != .atMostOnce else {
            connection.write(publish: Self.packet(message, packetID: nil, dup: false))
            return message.delivered()
        }
        let packetID = self.inflight.takePacketID()
        if message.qos == .exactlyOnce, let sequence = message.storeSequence {
            // After a crash it must go out again under the same id, or the client would take it twice.
            self.journal?.add(.putMessage(self.key, message.stored(sequence: sequence, packetID: packetID, stage: .sent)))
        }
        connection.write(publish: Self.packet(message, packetID: packetID, dup: false))
        self.inflight.add(message, packetID: packetID)
    }

    private static func packet(_ message: borrowing OutboundMessage, packetID: UInt16?, dup: Bool) -> PublishPacket {
        PublishPacket(
            topic: message.message.topic, payload: message.message.payload, qos: message.qos,
            retain: message.retain, dup: dup, packetID: packetID
        )
    }

    // MARK: Acknowledgements from the client

    func pubAck(_ id: UInt16) {
        guard let entry = self.inflight.acknowledge(id, stage: .awaitingPubAck) else { return }
        self.forget(entry.message)
        self.pump()
    }

    /// PUBREC is answered with PUBREL even for an unknown id, so that the client can finish. The
    /// member has a QoS 2 copy once it sent PUBREC: that releases the publisher's acknowledgement.
    func pubRec(_ id: UInt16) {
        if let message = self.inflight.received(id).firstReceipt {
            message.delivered()
            if let sequence = message.storeSequence {
                self.journal?.add(.putMessage(self.key, message.stored(sequence: sequence, packetID: id, stage: .pubrelSent)))
            }
        }
        self.connection?.write(packet: .pubrel(packetID: id))
    }

    func pubComp(_ id: UInt16) {
        guard let entry = self.inflight.acknowledge(id, stage: .awaitingPubComp) else { return }
        self.forget(entry.message)
        self.pump()
    }

    /// A message leaves the session (delivered or dropped): its publisher stops waiting for it,
    /// and its stored copy goes.
    private func forget(_ message: OutboundMessage) {
        message.delivered()
        if let sequence = message.storeSequence { self.journal?.add(.deleteMessage(self.key, sequence: sequence)) }
    }

    // MARK: Inbound QoS 2

    /// A QoS 2 PUBLISH arrived: false when it is a retransmission of one already routed. Stored
    /// with the session, so that a crash does not route it twice; `acknowledgement` (held by the
    /// caller) is released once that is on disk.
    func receivedQoS2(_ id: UInt16, acknowledgement: () -> DeliveryAcknowledgement?) -> Bool {
        guard self.awaitingPubRel.insert(id).inserted else { return false }
        if let journal = self.journal { journal.add(.putInboundQoS2(self.key, packetID: id), releasing: acknowledgement()) }
        return true
    }

    func releasedQoS2(_ id: UInt16) {
        if self.awaitingPubRel.remove(id) != nil { self.journal?.add(.deleteInboundQoS2(self.key, packetID: id)) }
    }

    // MARK: Stored record

    /// Writes the session's record (subscriptions, expiry); `disconnectedAt` when its client left.
    /// `then` runs once it is on disk (at once without a store): a SUBACK or UNSUBACK is sent only
    /// for what a crash keeps.
    func storeRecord(disconnectedAtMillis: Int64? = nil, then: (() -> Void)? = nil) {
        guard let durable = self.durable, let journal = self.journal else { return then?() ?? () }
        let record = StoreMutation.putSession(self.storedRecord(expirySeconds: durable.sessionExpirySeconds, disconnectedAtMillis: disconnectedAtMillis))
        if let then { journal.add(record, whenStored: then) } else { journal.add(record) }
    }

    // MARK: Recovery

    /// Rebuilds the session from the store, before the listeners open (on the owning loop).
    func restore(_ recovered: RecoveredSession) {
        for subscription in recovered.session.subscriptions {
            self.subscriptions[subscription.clientFilter] = QoS(subscription.qos)
        }
        for stored in recovered.messages {
            let message = OutboundMessage(stored)
            switch (stored.stage, stored.packetID) {
            case (.pubrelSent, let id?): self.inflight.restore(message, packetID: id, stage: .awaitingPubComp)
            case (.sent, let id?) where stored.qos == .exactlyOnce: self.inflight.restore(message, packetID: id, stage: .awaitingPubRec)
            default: self.pending.append(message)  // QoS 1 goes out again under a new id
            }
        }
        self.awaitingPubRel = recovered.inboundQoS2
        self.nextStoreSequence = recovered.nextSequence
        self.queuedCount.store(self.pending.count, ordering: .relaxed)
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
                connection.write(publish: Self.packet(entry.message, packetID: entry.packetID, dup: true))
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
        var kept = LazyCircularBuffer<OutboundMessage>()
        while let message = self.pending.popFirst() {
            if message.sharedGroup != nil {
                handedOver.append(message)
            } else if message.qos != .atMostOnce {
                kept.append(message)
            }
        }
        self.pending = kept
        self.queuedCount.store(self.pending.count, ordering: .relaxed)
        // Handed-over messages are stored again by the member that takes them.
        for index in handedOver.indices {
            guard let sequence = handedOver[index].storeSequence else { continue }
            self.journal?.add(.deleteMessage(self.key, sequence: sequence))
            handedOver[index].storeSequence = nil
        }
        return handedOver
    }

    /// The session ends (clean session, or replaced by a clean one). Returns every message that
    /// came through a shared subscription; the rest is dropped with the session.
    func terminate() -> [OutboundMessage] {
        self.isTerminated = true
        self.connection = nil
        self.online.store(false, ordering: .releasing)
        var handedOver: [OutboundMessage] = []
        for message in self.inflight.removeAll() + Array(self.pending) {
            if message.sharedGroup != nil {
                var moved = message
                moved.storeSequence = nil
                handedOver.append(moved)
            } else {
                message.delivered()  // dropped with the session: nothing to wait for any more
            }
        }
        self.pending.removeAll()
        self.queuedCount.store(0, ordering: .relaxed)
        self.journal?.add(.deleteSession(self.key))
        return handedOver
    }

    /// The session is moving to another loop with its client's new connection: it keeps its
    /// in-flight and queued messages (but QoS 0 ones, which are never kept offline).
    func suspend() {
        self.connection = nil
        self.online.store(false, ordering: .releasing)
        var kept = LazyCircularBuffer<OutboundMessage>()
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
