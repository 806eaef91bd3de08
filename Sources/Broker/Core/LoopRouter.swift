import MQTTAuthorization
import MQTTCore
import NIOCore

/// One per event loop, touched only on it: this loop's copy of the subscription index, the
/// sessions it owns, and batches of deliveries for other loops. Routing reads the local copy
/// without any lock; a message for a session on another loop travels in a batch, one
/// `execute` per batch and loop, never one hop per message.
final class LoopRouter {
    struct Delivery {
        var session: Session
        var message: OutboundMessage
    }

    let index: Int
    let eventLoop: any EventLoop
    unowned let core: BrokerCore
    /// Read on every routed message or batch: kept here, because each use of `core` (an unowned
    /// reference to an object that also has weak references) costs an atomic on its side table.
    private let endToEndAcknowledgement: Bool
    private let maxQueued: Int
    private let metrics: BrokerMetrics
    private let journal: LoopJournal?
    /// The other loops and their routers, read at every `flush` (the core makes the routers after
    /// this one, hence lazily).
    private lazy var peers: [(loop: any EventLoop, router: NIOLoopBound<LoopRouter>)] = Array(zip(self.core.loops, self.core.routers))
    private var subscriptions = SubscriptionIndex<SubscriberKey, SubscriberEntry>()
    private var outboxes: [[Delivery]]
    private var dirty: [any FlushableConnection] = []
    private var scratchMatches: [(Session, QoS)] = []
    private var scratchGroups: [SharedGroup] = []
    private var scratchDedup: [ObjectIdentifier: Int] = [:]
    /// The timers of this loop's connections.
    let timers: ConnectionTimerWheel<MQTTConnectionHandler>
    /// Packets, messages and bytes of this loop's connections, added to the metrics at `flush`.
    var traffic = TrafficTally()

    init(index: Int, eventLoop: any EventLoop, core: BrokerCore) {
        self.index = index
        self.eventLoop = eventLoop
        self.timers = ConnectionTimerWheel(eventLoop: eventLoop)
        self.core = core
        self.endToEndAcknowledgement = core.configuration.endToEndAcknowledgement
        self.maxQueued = core.limits.maxQueued
        self.metrics = core.metrics
        self.journal = core.durable?.journal(index)
        self.outboxes = Array(repeating: [], count: core.loopCount)
    }

    // MARK: Routing

    struct Routed {
        /// A shared group none of whose members had room: the publisher should pause.
        var full: SharedGroup?
    }

    /// Routes a published message to every matching subscription.
    /// - Parameter slot: the publisher's acknowledgement, made on first need; nil when the
    ///   publisher is acknowledged at once (QoS 0, or neither end-to-end acknowledgement nor a
    ///   store). Shared-group copies hold it (end to end) until a member acknowledges them, copies
    ///   for stored sessions until they are on disk.
    @discardableResult
    func route(_ message: BrokerMessage, acknowledgement slot: inout AcknowledgementSlot?) -> Routed {
        self.scratchMatches.removeAll(keepingCapacity: true)
        self.scratchGroups.removeAll(keepingCapacity: true)
        self.subscriptions.forEachMatch(topic: message.topic) { _, entry in
            switch entry {
            case .session(let session, let qos, let readFilter):
                if let readFilter, !readFilter.allows(topic: message.topic) { return }
                self.scratchMatches.append((session, qos))
            case .group(let group): self.scratchGroups.append(group)
            }
        }
        if self.scratchMatches.count > 1 { self.mergeOverlappingSubscriptions() }
        for (session, granted) in self.scratchMatches {
            let qos = min(message.qos, granted)
            var copy = OutboundMessage(message: message, qos: qos, retain: false, sharedGroup: nil)
            if slot != nil, session.durable?.stores(copy) == true { copy.acknowledgement = slot!.hold() }
            self.deliver(Delivery(session: session, message: copy))
        }
        var routed = Routed()
        let endToEnd = self.endToEndAcknowledgement
        for group in self.scratchGroups {
            guard let (member, memberFull) = group.next(for: message.topic, maxQueued: self.maxQueued) else { continue }
            if memberFull { routed.full = group }
            let qos = min(message.qos, member.qos)
            var copy = OutboundMessage(message: message, qos: qos, retain: false, sharedGroup: group.key)
            if slot != nil, endToEnd || member.session.durable?.stores(copy) == true { copy.acknowledgement = slot!.hold() }
            self.deliver(Delivery(session: member.session, message: copy))
        }
        return routed
    }

    /// Routes a message nobody waits for (a will).
    func route(_ message: BrokerMessage) {
        var none: AcknowledgementSlot?
        self.route(message, acknowledgement: &none)
    }

    /// One copy per session, at the highest QoS any of its matching filters granted.
    private func mergeOverlappingSubscriptions() {
        self.scratchDedup.removeAll(keepingCapacity: true)
        var merged = 0
        for i in self.scratchMatches.indices {
            let (session, qos) = self.scratchMatches[i]
            if let at = self.scratchDedup[ObjectIdentifier(session)] {
                self.scratchMatches[at].1 = max(self.scratchMatches[at].1, qos)
            } else {
                self.scratchDedup[ObjectIdentifier(session)] = merged
                self.scratchMatches[merged] = (session, qos)
                merged += 1
            }
        }
        self.scratchMatches.removeLast(self.scratchMatches.count - merged)
    }

    /// Hands a message to its session here, or to the batch for the loop that owns it.
    func deliver(_ delivery: consuming Delivery) {
        let owner = delivery.session.location.load(ordering: .acquiring)
        if owner == self.index {
            if delivery.session.isTerminated {
                // It ended while this message was on its way: a shared message goes to another member.
                if delivery.message.sharedGroup != nil {
                    self.dropUndeliverable(self.redistribute([delivery.message], from: delivery.session))
                } else {
                    delivery.message.delivered()
                }
                return
            }
            if self.handOverIfOffline(delivery) { return }
            delivery.session.enqueue(delivery.message)
        } else {
            self.outboxes[owner].append(delivery)
        }
    }

    /// Deliveries batched for this loop by others (or forwarded: the session moved meanwhile).
    func receive(_ batch: [Delivery]) {
        for delivery in batch { self.deliver(delivery) }
        self.flush()
    }

    /// Ends a batch of work: sends other loops their deliveries, flushes written connections.
    func flush() {
        self.journal?.commit()
        for target in self.outboxes.indices where !self.outboxes[target].isEmpty {
            let batch = self.outboxes[target]
            self.outboxes[target].removeAll(keepingCapacity: true)
            let (loop, router) = self.peers[target]
            loop.execute { router.value.receive(batch) }
        }
        // Counted before the packets leave, so that whoever sees a reply also sees its count;
        // again after, for the bytes the flushes hand to the sockets.
        self.metrics.add(&self.traffic)
        let dirty = self.dirty
        self.dirty.removeAll(keepingCapacity: true)
        for connection in dirty { connection.flushIfNeeded() }
        self.metrics.add(&self.traffic)
    }

    func markDirty(_ connection: any FlushableConnection) {
        self.dirty.append(connection)
    }

    // MARK: Shared-subscription hand-over

    /// A shared message that reaches a member after it went offline (it was on its way from
    /// another loop when the member left) goes to an online member instead: otherwise it would
    /// wait in the departed member's persistent session, maybe forever.
    private func handOverIfOffline(_ delivery: Delivery) -> Bool {
        guard let key = delivery.message.sharedGroup, !delivery.session.online.load(ordering: .acquiring),
            case .group(let group) = self.subscriptions.value(filter: key.filter, key: .group(key.group)),
            let (member, _) = group.next(for: delivery.message.message.topic, excluding: delivery.session, maxQueued: self.maxQueued),
            member.session.online.load(ordering: .relaxed)
        else { return false }
        var moved = delivery.message
        moved.qos = min(delivery.message.message.qos, member.qos)
        self.deliver(Delivery(session: member.session, message: moved))
        self.metrics.sharedRedeliveries.increment()
        return true
    }

    /// Shared messages no member can take (the group is gone): counted, and nobody waits for them.
    func dropUndeliverable(_ messages: [OutboundMessage]) {
        guard !messages.isEmpty else { return }
        self.metrics.sharedUndeliverable.increment(by: messages.count)
        for message in messages { message.delivered() }
    }

    /// Gives messages of a departing member to other members of their groups.
    /// - Returns: the ones no other member could take.
    func redistribute(_ messages: [OutboundMessage], from leaving: Session) -> [OutboundMessage] {
        var leftovers: [OutboundMessage] = []
        for message in messages {
            guard let key = message.sharedGroup,
                case .group(let group) = self.subscriptions.value(filter: key.filter, key: .group(key.group)),
                let (member, _) = group.next(for: message.message.topic, excluding: leaving, maxQueued: self.maxQueued)
            else {
                leftovers.append(message)
                continue
            }
            var moved = message
            moved.qos = min(message.message.qos, member.qos)
            self.deliver(Delivery(session: member.session, message: moved))
            self.metrics.sharedRedeliveries.increment()
        }
        return leftovers
    }

    // MARK: This loop's copy of the subscription index

    func applySubscribe(_ session: Session, filter: String, qos: QoS, readFilter: TopicReadFilter?) {
        if let shared = try? SharedFilter.parse(filter) {
            let key = SharedGroupKey(group: shared.group, filter: shared.filter)
            if case .group(let group) = self.subscriptions.value(filter: shared.filter, key: .group(shared.group)) {
                group.upsert(session, qos: qos, readFilter: readFilter)
            } else {
                let group = SharedGroup(key: key)
                group.upsert(session, qos: qos, readFilter: readFilter)
                self.subscriptions.insert(filter: shared.filter, key: .group(shared.group), value: .group(group))
            }
        } else {
            self.subscriptions.insert(filter: filter, key: .session(ObjectIdentifier(session)), value: .session(session, qos, readFilter))
        }
    }

    func applyUnsubscribe(_ session: Session, filter: String) {
        if let shared = try? SharedFilter.parse(filter) {
            guard case .group(let group) = self.subscriptions.value(filter: shared.filter, key: .group(shared.group)) else { return }
            group.remove(session)
            if group.isEmpty { self.subscriptions.remove(filter: shared.filter, key: .group(shared.group)) }
        } else {
            self.subscriptions.remove(filter: filter, key: .session(ObjectIdentifier(session)))
        }
    }
}

/// A connection that has written without flushing and is flushed at the end of the batch.
protocol FlushableConnection: AnyObject {
    func flushIfNeeded()
}
