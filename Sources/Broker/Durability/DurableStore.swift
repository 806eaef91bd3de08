import BrokerStore
import Logging
import NIOCore

/// The broker's side of the durable store (`BROKER_DATA_DIR`): one journal per event loop, and the
/// rule for what is written. Nil everywhere when the broker runs in memory only.
///
/// What is stored: persistent sessions (owner, client id, subscriptions), their QoS 1/2 messages
/// (queued and in flight, with the QoS 2 stage), their inbound QoS 2 ids, and retained messages.
/// Shared-group copies are not stored while end-to-end acknowledgement is on: their publisher has
/// no acknowledgement yet and sends them again after a crash.
final class DurableStore: Sendable {
    let store: BrokerStore
    /// Indexed like the broker's loops; each is used on its own loop only.
    let journals: [LoopJournal]
    let endToEndAcknowledgement: Bool
    /// Written into session records, so that recovery ends sessions whose time ran out.
    let sessionExpirySeconds: Int64?

    init(store: BrokerStore, loops: [any EventLoop], configuration: BrokerConfiguration, metrics: BrokerMetrics, logger: Logger) {
        self.store = store
        self.journals = loops.map { LoopJournal(store: store, loop: $0, metrics: metrics, logger: logger) }
        self.endToEndAcknowledgement = configuration.endToEndAcknowledgement
        self.sessionExpirySeconds = configuration.sessionExpirySeconds
    }

    func journal(_ loopIndex: Int) -> LoopJournal { self.journals[loopIndex] }

    /// Whether a session stores this copy (a shared one is held by its publisher instead).
    func stores(_ message: OutboundMessage) -> Bool {
        message.qos != .atMostOnce && !(message.sharedGroup != nil && self.endToEndAcknowledgement)
    }
}

/// One loop's store writes, gathered while a read burst is handled and committed at the router's
/// flush as one batch (the group committer joins the loops' batches into one fsync). A PUBLISH
/// whose acknowledgement depends on a write holds its `DeliveryAcknowledgement` until the commit.
final class LoopJournal: @unchecked Sendable {
    private let store: BrokerStore
    private let loop: any EventLoop
    private let metrics: BrokerMetrics
    private let logger: Logger
    private var mutations: [StoreMutation] = []
    private var waiting: [DeliveryAcknowledgement] = []
    /// Run on the loop once the batch is on disk (SUBACKs of persistent sessions).
    private var afterCommit: [() -> Void] = []

    init(store: BrokerStore, loop: any EventLoop, metrics: BrokerMetrics, logger: Logger) {
        self.store = store
        self.loop = loop
        self.metrics = metrics
        self.logger = logger
    }

    /// Records a write; `acknowledgement` (held by the caller) is released once it is on disk.
    func add(_ mutation: StoreMutation, releasing acknowledgement: DeliveryAcknowledgement? = nil) {
        self.loop.assertInEventLoop()
        self.mutations.append(mutation)
        if let acknowledgement { self.waiting.append(acknowledgement) }
    }

    /// Records a write; `whenStored` runs on this loop once it is on disk.
    func add(_ mutation: StoreMutation, whenStored: @escaping () -> Void) {
        self.add(mutation)
        self.afterCommit.append(whenStored)
    }

    /// Commits what was gathered. A failed commit keeps its acknowledgements held: the publishers
    /// get no PUBACK for what is not on disk, and send it again after reconnecting.
    func commit() {
        guard !self.mutations.isEmpty else { return }
        let mutations = self.mutations
        let waiting = self.waiting
        let hasCallbacks = !self.afterCommit.isEmpty
        let afterCommit = NIOLoopBound(self.afterCommit, eventLoop: self.loop)
        self.mutations.removeAll(keepingCapacity: true)
        self.waiting.removeAll(keepingCapacity: true)
        self.afterCommit.removeAll(keepingCapacity: true)
        self.metrics.storeMutations.increment(by: mutations.count)
        self.store.commit(mutations) { result in
            switch result {
            case .success:
                for acknowledgement in waiting { acknowledgement.release() }
                if hasCallbacks {
                    self.loop.execute { for callback in afterCommit.value { callback() } }
                }
            case .failure(let error):
                self.metrics.storeCommitFailures.increment()
                self.logger.error("store commit failed: acknowledgements held back", metadata: ["error": "\(error)", "writes": "\(mutations.count)"])
            }
        }
    }
}
