import BrokerStore
import Logging
import MQTTAuthorization
import MQTTCore
import NIOCore
import Synchronization

/// What every connection of the broker shares: the loops and their routers, the session
/// registry, retained messages, limits, authorization and metrics.
final class BrokerCore: Sendable {
    let loops: [any EventLoop]
    let registry: SessionRegistry
    let retained: RetainedStore
    let limits: BrokerLimits
    let configuration: BrokerConfiguration
    let metrics: BrokerMetrics
    let authorizer: any Authorizer
    /// The broker's logger, shared by every connection (a copy per connection costs its memory).
    let logger: Logger
    /// Nil: memory only (no `BROKER_DATA_DIR`).
    let durable: DurableStore?
    /// Written once by `start`, before any connection is accepted; read-only afterwards.
    nonisolated(unsafe) private(set) var routers: [NIOLoopBound<LoopRouter>] = []
    /// Per loop, the delivery acknowledgements for its publishers; written once, like `routers`.
    nonisolated(unsafe) private(set) var acknowledgementInboxes: [AcknowledgementInbox] = []
    private let loopIndexes: [ObjectIdentifier: Int]
    /// Set on shutdown: PUBLISHes are no longer taken, wills no longer sent.
    let draining = Atomic<Bool>(false)
    /// Connection handlers alive (made and not yet freed): returns to zero when every connection
    /// is gone, which the leak tests check. One atomic add per connection, not per message.
    let liveHandlers = Atomic<Int>(0)
    /// Read by every connection's state machine, one object per listener.
    private let plainConnectionSettings: ConnectionSettings
    private let tlsConnectionSettings: ConnectionSettings

    var loopCount: Int { self.loops.count }

    init(
        group: any EventLoopGroup, configuration: BrokerConfiguration, authorizer: any Authorizer, metrics: BrokerMetrics,
        store: BrokerStore? = nil, logger: Logger = Logger(label: "broker")
    ) throws {
        let loops = Array(group.makeIterator())
        self.loops = loops
        self.durable = store.map { DurableStore(store: $0, loops: loops, configuration: configuration, metrics: metrics, logger: logger) }
        self.configuration = configuration
        self.logger = logger
        self.limits = configuration.limits
        self.registry = SessionRegistry(maxSessionsPerIdentity: configuration.limits.maxSessionsPerIdentity)
        self.authorizer = authorizer
        self.metrics = metrics
        self.retained = RetainedStore(maxMessages: self.limits.maxRetainedMessages, maxBytes: self.limits.maxRetainedBytes, metrics: metrics)
        self.plainConnectionSettings = Self.connectionSettings(configuration, store: store, identityFromUsername: true)
        self.tlsConnectionSettings = Self.connectionSettings(configuration, store: store, identityFromUsername: false)
        self.loopIndexes = Dictionary(uniqueKeysWithValues: self.loops.enumerated().map { (ObjectIdentifier($1), $0) })
        self.acknowledgementInboxes = self.loops.enumerated().map { AcknowledgementInbox(loop: $1, routerIndex: $0, core: self) }
        self.routers = try self.loops.enumerated().map { index, loop in
            try loop.submit { NIOLoopBound(LoopRouter(index: index, eventLoop: loop, core: self), eventLoop: loop) }.wait()
        }
    }

    func connectionSettings(for listener: Listener) -> ConnectionSettings {
        listener == .plain ? self.plainConnectionSettings : self.tlsConnectionSettings
    }

    private static func connectionSettings(_ configuration: BrokerConfiguration, store: BrokerStore?, identityFromUsername: Bool) -> ConnectionSettings {
        ConnectionSettings(
            connectTimeoutMilliseconds: configuration.limits.connectTimeoutMilliseconds,
            maxClientIDLength: configuration.limits.maxClientIDLength,
            maxUnacknowledgedPublishes: configuration.limits.maxUnacknowledgedPublishes,
            acknowledgementsMayWait: configuration.endToEndAcknowledgement || store != nil,
            identityFromUsername: identityFromUsername,
            deviceLifetimeMilliseconds: configuration.deviceLifetimeMilliseconds,
            lifetimeJitterPercent: configuration.lifetimeJitterPercent
        )
    }

    func routerIndex(of loop: any EventLoop) -> Int {
        self.loopIndexes[ObjectIdentifier(loop)]!
    }

    // MARK: Subscriptions: applied here at once, on the other loops as soon as they get to it.

    func subscribe(_ session: Session, filter: String, qos: QoS, readFilter: TopicReadFilter?, on router: LoopRouter) {
        router.applySubscribe(session, filter: filter, qos: qos, readFilter: readFilter)
        self.onOtherLoops(than: router) { $0.applySubscribe(session, filter: filter, qos: qos, readFilter: readFilter) }
    }

    func unsubscribe(_ session: Session, filter: String, on router: LoopRouter) {
        router.applyUnsubscribe(session, filter: filter)
        self.onOtherLoops(than: router) { $0.applyUnsubscribe(session, filter: filter) }
    }

    private func onOtherLoops(than router: LoopRouter, _ update: @escaping @Sendable (LoopRouter) -> Void) {
        for (index, loop) in self.loops.enumerated() where index != router.index {
            let target = self.routers[index]
            loop.execute { update(target.value) }
        }
    }

    // MARK: Shutdown

    /// How many online sessions still have messages queued or unacknowledged, counted on each
    /// session's own loop (shutdown only).
    func onlineSessionsWithUndeliveredMessages() async -> Int {
        let sessions = self.registry.all()
        var total = 0
        for (index, loop) in self.loops.enumerated() {
            let local = sessions.filter { $0.location.load(ordering: .acquiring) == index }
            total += (try? await loop.submit { local.filter { $0.isOnline && $0.hasUndelivered }.count }.get()) ?? 0
        }
        return total
    }

    // MARK: Session life

    /// Runs `body` on the loop that owns `session`, following it if it moves meanwhile.
    func onOwner(of session: Session, _ body: @escaping @Sendable (LoopRouter) -> Void) {
        let owner = session.location.load(ordering: .acquiring)
        let router = self.routers[owner]
        self.loops[owner].execute {
            guard session.location.load(ordering: .acquiring) == owner else {
                self.onOwner(of: session, body)
                return
            }
            body(router.value)
        }
    }

    /// Moves a persistent session to the loop of the connection that resumes it: its current
    /// connection (if any) is closed without its will, then `adopt` runs on the target loop.
    func move(_ session: Session, to target: Int, adopt: @escaping @Sendable (Session) -> Void) {
        self.onOwner(of: session) { router in
            if session.isOnline { self.metrics.takeovers.increment() }
            session.dropConnectionForTakeover()
            session.suspend()
            session.location.store(target, ordering: .releasing)
            self.loops[target].execute { adopt(session) }
            router.flush()
        }
    }

    /// Ends a session on its own loop: unsubscribes it everywhere, forgets it, and gives its
    /// shared-subscription messages to the other members of their groups.
    func end(_ session: Session, closingConnection: Bool) {
        self.onOwner(of: session) { router in
            if closingConnection {
                if session.isOnline { self.metrics.takeovers.increment() }
                session.dropConnectionForTakeover()
            }
            self.endOnOwner(session, router: router)
        }
    }

    /// Ends a persistent session whose client has not come back within the expiry time (or
    /// `milliseconds`, what is left of it after a restart).
    func scheduleExpiry(of session: Session, on router: LoopRouter, in milliseconds: Int64? = nil) {
        guard let seconds = self.configuration.sessionExpirySeconds else { return }
        let attachments = session.attachments
        router.eventLoop.scheduleTask(in: .milliseconds(milliseconds ?? seconds * 1000)) {
            self.onOwner(of: session) { owner in
                guard !session.isOnline, !session.isTerminated, session.attachments == attachments else { return }
                self.metrics.sessionExpiries.increment()
                self.endOnOwner(session, router: owner)
            }
        }
    }

    /// `end` for a caller already on the session's loop.
    func endOnOwner(_ session: Session, router: LoopRouter) {
        let messages = session.terminate()
        for filter in session.subscriptions.keys { self.unsubscribe(session, filter: filter, on: router) }
        session.removeAllSubscriptions()
        self.registry.remove(session)
        self.metrics.sessions.set(Double(self.registry.count))
        router.dropUndeliverable(router.redistribute(messages, from: session))
        router.flush()
    }
}
