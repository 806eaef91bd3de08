import BrokerStore
import Logging
import MQTTAuthorization
import MQTTCore
import NIOCore
import NIOSSL
import NIOTLS

/// One client connection: CONNECT, then the packets of an established session. It lives on its
/// channel's event loop with that loop's router and the session it owns.
final class MQTTConnectionHandler: ChannelInboundHandler, SessionConnection, FlushableConnection, AcknowledgingPublisher {
    typealias InboundIn = MQTTPacket
    typealias OutboundOut = ByteBuffer

    private enum State {
        case awaitingConnect
        /// A persistent session is on its way from another loop.
        case adopting(ConnectPacket)
        case connected(Session)
        case closed
    }

    private let core: BrokerCore
    private let router: LoopRouter
    private let listener: Listener
    /// The CN of the verified client certificate, on the TLS listener.
    private var certificateIdentity: String?
    /// Why the client's certificate was refused, for the handshake-failure metric.
    private var certificateRefusal: ClientCertificateVerifier.Refusal?
    private var state = State.awaitingConnect
    /// Nil once the handler is removed: holding it longer would keep the whole pipeline alive.
    private var context: ChannelHandlerContext?
    private var policy: (any ConnectionPolicy)?
    /// Who connected, to compile the policy again when the rules change.
    private var client: ClientIdentity?
    private var will: ConnectPacket.Will?
    /// False after DISCONNECT or a takeover: the will is not published then.
    private var willArmed = true
    private var needsFlush = false
    private var connectTimeout: Scheduled<Void>?
    private var lifetimeEnd: Scheduled<Void>?
    private var backlog: [MQTTPacket] = []
    private var pausedOn: SharedGroup?
    /// QoS 1/2 PUBLISHes whose acknowledgement waits for shared-group members (end to end).
    private var acknowledgements = PublisherAckQueue()
    /// Reading stopped because too many acknowledgements are waiting.
    private var pausedForAcknowledgements = false
    /// Shared, never copied per connection: the connection's fields are added only to the
    /// lines it logs (`metadata`), which keeps idle connections small.
    private let logger: Logger
    private var clientID = ""
    private var identity: String?

    private let connections: ConnectionTracker

    init(core: BrokerCore, router: LoopRouter, listener: Listener, connections: ConnectionTracker, logger: Logger) {
        self.core = core
        self.connections = connections
        self.router = router
        self.listener = listener
        self.logger = logger
        core.liveHandlers.add(1, ordering: .relaxed)
    }

    deinit { self.core.liveHandlers.subtract(1, ordering: .relaxed) }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.connectTimeout?.cancel()
        self.lifetimeEnd?.cancel()
    }

    func channelActive(context: ChannelHandlerContext) {
        self.core.metrics.connectionsAccepted.increment()
        self.core.metrics.connectionsActive.increment()
        let timeout = TimeAmount.milliseconds(self.core.limits.connectTimeoutMilliseconds)
        self.connectTimeout = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            guard case .awaitingConnect = self.state else { return }
            self.core.metrics.connectTimeouts.increment()
            self.log(.debug, "closing: no CONNECT in time")
            self.context?.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.core.metrics.connectionsActive.decrement()
        self.connections.remove(client: context.channel)
        self.connectTimeout?.cancel()
        self.lifetimeEnd?.cancel()
        let state = self.state
        self.state = .closed
        if case .connected(let session) = state {
            self.connectionEnded(session)
        }
        self.router.flush()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let packet = Self.unwrapInboundIn(data)
        self.core.metrics.packetIn(packet.type)
        switch self.state {
        case .awaitingConnect:
            guard case .connect(let connect) = packet else {
                return self.protocolViolation("first packet is \(packet.type.name), not CONNECT")
            }
            self.handleConnect(connect)
        case .adopting:
            self.backlog.append(packet)
        case .connected(let session):
            self.handle(packet, session: session)
        case .closed:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.router.flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .connected(let session) = self.state {
            session.pump()
            self.router.flush()
        }
        context.fireChannelWritabilityChanged()
    }

    /// Called by the TLS handshake's certificate check, before any MQTT byte arrives.
    func certificateChecked(_ result: Result<ClientCertificateVerifier.Verified, ClientCertificateVerifier.Refusal>) {
        switch result {
        case .success(let verified): self.certificateIdentity = verified.commonName
        case .failure(let refusal): self.certificateRefusal = refusal
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is AuthorizationChanged {
            // New rules: publishes are judged by them from now on, subscriptions are re-checked.
            if case .connected(let session) = self.state, let client = self.client {
                self.policy = self.core.authorizer.connectionPolicy(for: client)
                self.dropSubscriptionsNoLongerAllowed(session)
            }
            return
        }
        if case TLSUserEvent.handshakeCompleted = event {
            self.core.metrics.handshakes.increment()
        }
        if case IdleStateHandler.IdleStateEvent.read = event {
            self.core.metrics.keepaliveTimeouts.increment()
            self.log(.debug, "closing: keepalive expired")
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError, case .awaitingConnect = self.state {
            let reason = self.certificateRefusal?.reason ?? "handshake"
            self.core.metrics.handshakeFailure(reason)
            self.log(.info, "TLS handshake refused", ["reason": "\(self.certificateRefusal?.detail ?? "\(error)")"])
            self.state = .closed
            context.close(promise: nil)
            return
        }
        self.core.metrics.protocolErrors.increment()
        if case MQTTDecodingError.unsupportedProtocolLevel(let level) = error, case .awaitingConnect = self.state {
            self.log(.debug, "refusing protocol level \(level)")
            self.writePacket(.connack(ConnAckPacket(returnCode: .unacceptableProtocolVersion)))
            self.flushIfNeeded()
        } else {
            self.log(.debug, "closing on error: \(error)")
        }
        context.close(promise: nil)
    }

    // MARK: CONNECT

    private func handleConnect(_ connect: ConnectPacket) {
        self.connectTimeout?.cancel()
        var clientID = connect.clientID
        if clientID.isEmpty {
            guard connect.cleanSession else { return self.refuse(.identifierRejected, "empty client id needs a clean session") }
            clientID = "auto-" + String(UInt64.random(in: .min ... .max), radix: 16)
        }
        guard clientID.utf8.count <= self.core.limits.maxClientIDLength else {
            return self.refuse(.identifierRejected, "client id longer than \(self.core.limits.maxClientIDLength) bytes")
        }
        let identity = self.listener == .plain ? connect.username : self.certificateIdentity
        let client = ClientIdentity(identity: identity, clientID: clientID, viaVerifiedCertificate: self.listener == .mutualTLS)
        self.clientID = clientID
        self.identity = identity
        if case .refused(let reason) = self.core.authorizer.authorizeConnect(client) {
            self.core.metrics.aclDeniedConnect.increment()
            return self.refuse(.notAuthorized, reason)
        }
        self.policy = self.core.authorizer.connectionPolicy(for: client)
        self.client = client
        self.will = connect.will
        if client.isDeviceIdentity { self.scheduleLifetimeEnd() }
        if connect.keepAlive > 0 {
            let timeout = TimeAmount.milliseconds(Int64(connect.keepAlive) * 1500)
            try? self.context?.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: timeout), position: .before(self))
        }
        self.core.metrics.connects.increment()

        let router = self.router
        let key = SessionKey(identity: identity, clientID: clientID)
        let made = self.core.registry.claim(key, cleanSession: connect.cleanSession) {
            Session(key: key, cleanSession: connect.cleanSession, location: router.index, limits: self.core.limits, metrics: self.core.metrics, store: self.core.durable)
        }
        guard let claim = made else {
            return self.refuse(.serverUnavailable, "identity holds \(self.core.limits.maxSessionsPerIdentity) sessions, all online")
        }
        self.core.metrics.sessions.set(Double(self.core.registry.count))
        for ended in claim.ended {
            if ended.key != key { self.core.metrics.sessionsEvicted.increment() }
            self.core.end(ended, closingConnection: true)
        }
        if claim.resumed {
            self.state = .adopting(connect)
            let handler = NIOLoopBound(self, eventLoop: self.router.eventLoop)
            self.core.move(claim.session, to: router.index) { session in handler.value.adopt(session, resumed: true) }
        } else {
            self.adopt(claim.session, resumed: false)
        }
    }

    /// The session is on this loop now: answer CONNACK and start.
    private func adopt(_ session: Session, resumed: Bool) {
        switch self.state {
        case .awaitingConnect, .adopting: break
        case .connected, .closed:
            // The connection went away while its session was moving here.
            if session.cleanSession { self.core.endOnOwner(session, router: self.router) }
            return
        }
        if resumed {
            self.dropSubscriptionsNoLongerAllowed(session)
        } else {
            session.storeRecord()
        }
        self.writePacket(.connack(ConnAckPacket(sessionPresent: resumed, returnCode: .accepted)))
        self.state = .connected(session)
        self.log(.debug, "connected", ["session_present": "\(resumed)"])
        session.attach(self)
        let backlog = self.backlog
        self.backlog = []
        for packet in backlog { self.handle(packet, session: session) }
        self.router.flush()
    }

    /// Rights may have changed since the session was made (a new acl-file, a new certificate of the
    /// same identity): a resumed session keeps only what this connection may subscribe to now.
    private func dropSubscriptionsNoLongerAllowed(_ session: Session) {
        var dropped = false
        for (filter, qos) in session.subscriptions {
            guard self.policy?.canSubscribe(filter: filter) ?? false else {
                session.subscriptions.removeValue(forKey: filter)
                self.core.unsubscribe(session, filter: filter, on: self.router)
                self.core.metrics.aclDeniedSubscribe.increment()
                self.log(.info, "resumed subscription no longer allowed, removed", ["filter": "\(filter)"])
                dropped = true
                continue
            }
            // The read filter follows today's rights too (only partly readable filters have one).
            self.core.subscribe(session, filter: filter, qos: qos, readFilter: self.policy?.readFilter(forSubscription: filter), on: self.router)
        }
        if dropped { session.storeRecord() }
    }

    /// Devices are disconnected when their lifetime is over, counted from CONNECT, so that they
    /// reconnect and their certificate is checked again; services are exempt.
    private func scheduleLifetimeEnd() {
        guard let lifetime = self.core.configuration.deviceLifetimeMilliseconds else { return }
        let jitter = Double(self.core.configuration.lifetimeJitterPercent) / 100
        let milliseconds = Int64(Double(lifetime) * (1 - Double.random(in: 0...jitter)))
        self.lifetimeEnd = self.router.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(milliseconds)) {
            guard case .connected = self.state else { return }
            self.core.metrics.lifetimeCloses.increment()
            self.log(.info, "closing: connection lifetime over", ["lifetime_ms": "\(milliseconds)"])
            self.context?.close(promise: nil)
        }
    }

    private func refuse(_ code: ConnectReturnCode, _ reason: String) {
        self.log(.info, "refusing connection", ["reason": "\(reason)", "return_code": "\(code.rawValue)"])
        self.core.metrics.connectionsRefused("\(code)").increment()
        self.state = .closed
        self.writePacket(.connack(ConnAckPacket(returnCode: code)))
        self.flushIfNeeded()
        self.context?.close(promise: nil)
    }

    // MARK: Packets of a connected session

    private func handle(_ packet: MQTTPacket, session: Session) {
        switch packet {
        case .publish(let publish): self.handlePublish(publish, session: session)
        case .puback(let id): session.pubAck(id)
        case .pubrec(let id): session.pubRec(id)
        case .pubrel(let id):
            session.releasedQoS2(id)
            self.writePacket(.pubcomp(packetID: id))
        case .pubcomp(let id): session.pubComp(id)
        case .subscribe(let subscribe): self.handleSubscribe(subscribe, session: session)
        case .unsubscribe(let unsubscribe):
            for filter in unsubscribe.filters where session.subscriptions.removeValue(forKey: filter) != nil {
                self.core.unsubscribe(session, filter: filter, on: self.router)
            }
            session.storeRecord(then: { self.whileConnected(to: session) { self.writePacket(.unsuback(packetID: unsubscribe.packetID)) } })
        case .pingreq: self.writePacket(.pingresp)
        case .disconnect:
            self.willArmed = false
            self.context?.close(promise: nil)
        case .connect: self.protocolViolation("second CONNECT")
        case .connack, .suback, .unsuback, .pingresp: self.protocolViolation("\(packet.type.name) from a client")
        }
    }

    private func handlePublish(_ publish: PublishPacket, session: Session) {
        if self.core.draining.load(ordering: .relaxed) {
            // Shutting down: not acknowledged, so the client sends it again after reconnecting.
            self.willArmed = false
            self.state = .closed
            self.context?.close(promise: nil)
            return
        }
        self.core.metrics.messageIn(publish.qos)
        guard self.policy?.canPublish(topic: publish.topic) ?? false else {
            self.core.metrics.aclDeniedPublish.increment()
            self.log(.warning, "publish denied, closing", ["topic": "\(publish.topic)"])
            self.state = .closed
            self.context?.close(promise: nil)
            return
        }
        // The acknowledgement waits for shared-group members (end to end) and for store writes.
        var slot: AcknowledgementSlot?
        if publish.qos != .atMostOnce, self.core.configuration.endToEndAcknowledgement || self.core.durable != nil {
            slot = AcknowledgementSlot(sequence: self.acknowledgements.nextSequence, publisher: self, loop: self.router.eventLoop)
        }
        if publish.qos == .exactlyOnce, !session.receivedQoS2(publish.packetID!, acknowledgement: { slot?.hold() }) {
            // A retransmission of a message already routed: acknowledge (once its groups have it),
            // never route twice.
            if !self.acknowledgements.isWaiting(packetID: publish.packetID!) { self.writePacket(.pubrec(packetID: publish.packetID!)) }
            return
        }
        let message = BrokerMessage(topic: publish.topic, payload: publish.payload, qos: publish.qos, retain: publish.retain)
        if publish.retain { self.retain(message, acknowledgement: &slot) }
        let routed = self.router.route(message, acknowledgement: &slot)
        slot?.finish()
        if let full = routed.full { self.pause(until: full) }
        guard let packetID = publish.packetID, publish.qos != .atMostOnce else { return }
        let waits = slot?.acknowledgement != nil
        if !waits, self.acknowledgements.isEmpty {
            return self.writeAcknowledgement(packetID: packetID, qos: publish.qos)
        }
        // Waits for the groups' members or the store, or behind an earlier PUBLISH that does
        // (MQTT keeps the order of acknowledgements).
        self.acknowledgements.append(packetID: packetID, qos: publish.qos, ready: !waits)
        self.writeReadyAcknowledgements()
        if self.acknowledgements.count >= self.core.limits.maxUnacknowledgedPublishes, !self.pausedForAcknowledgements {
            self.pausedForAcknowledgements = true
            self.core.metrics.publisherPauses.increment()
            self.updateReading()
        }
    }

    /// Keeps (or clears) the topic's retained message; with a store, on disk before the publisher's
    /// acknowledgement.
    private func retain(_ message: BrokerMessage, acknowledgement slot: inout AcknowledgementSlot?) {
        guard self.core.retained.store(message), let journal = self.core.durable?.journal(self.router.index) else { return }
        let mutation: StoreMutation = message.payload.readableBytes == 0
            ? .deleteRetained(topic: message.topic) : .putRetained(RetainedMessage(message))
        journal.add(mutation, releasing: slot?.hold())
    }

    private func writeAcknowledgement(packetID: UInt16, qos: QoS) {
        self.writePacket(qos == .exactlyOnce ? .pubrec(packetID: packetID) : .puback(packetID: packetID))
    }

    private func writeReadyAcknowledgements() {
        while let ready = self.acknowledgements.popReady() {
            self.writeAcknowledgement(packetID: ready.packetID, qos: ready.qos)
        }
    }

    /// Every shared-group member acknowledged the PUBLISH at `sequence`.
    func deliveryAcknowledged(_ sequence: UInt64) {
        guard case .connected = self.state else { return }
        self.acknowledgements.markReady(sequence)
        self.writeReadyAcknowledgements()
        if self.pausedForAcknowledgements, self.acknowledgements.count < self.core.limits.maxUnacknowledgedPublishes / 2 {
            self.pausedForAcknowledgements = false
            self.updateReading()
        }
        self.router.flush()
    }

    private func handleSubscribe(_ subscribe: SubscribePacket, session: Session) {
        var codes: [SubAckReturnCode] = []
        var granted: [(String, QoS, TopicReadFilter?)] = []
        for subscription in subscribe.subscriptions {
            let filter = subscription.filter
            let shared: SharedFilter?
            do { shared = try SharedFilter.parse(filter) } catch {
                codes.append(.failure)
                continue
            }
            guard self.policy?.canSubscribe(filter: filter) ?? false else {
                self.core.metrics.aclDeniedSubscribe.increment()
                self.log(.info, "subscription denied", ["filter": "\(filter)"])
                codes.append(.failure)
                continue
            }
            let readFilter = self.policy?.readFilter(forSubscription: filter)
            session.subscriptions[filter] = subscription.qos
            self.core.subscribe(session, filter: filter, qos: subscription.qos, readFilter: readFilter, on: self.router)
            codes.append(.granted(subscription.qos))
            if shared == nil { granted.append((filter, subscription.qos, readFilter)) }
        }
        session.storeRecord(then: {
            self.whileConnected(to: session) {
                self.writePacket(.suback(SubAckPacket(packetID: subscribe.packetID, returnCodes: codes)))
                // Retained messages follow the SUBACK; shared subscriptions get none.
                for (filter, qos, readFilter) in granted {
                    for message in self.core.retained.matching(filter: filter) where readFilter?.allows(topic: message.topic) ?? true {
                        session.enqueue(OutboundMessage(message: message, qos: min(message.qos, qos), retain: true, sharedGroup: nil))
                    }
                }
            }
        })
    }

    /// Runs `body` if this connection still holds `session` (a store commit may complete after
    /// the connection closed or the session moved away), and flushes what it wrote.
    private func whileConnected(to session: Session, _ body: () -> Void) {
        guard case .connected(let current) = self.state, current === session else { return }
        body()
        self.router.flush()
    }

    // MARK: Ending

    private func connectionEnded(_ session: Session) {
        if self.willArmed, !self.core.draining.load(ordering: .relaxed), let will = self.will {
            self.publishWill(will)
        }
        if session.cleanSession {
            self.core.endOnOwner(session, router: self.router)
        } else {
            let handedOver = session.detach()
            for message in self.router.redistribute(handedOver, from: session) { session.enqueue(message) }
            session.storeRecord(disconnectedAtMillis: WallClock.nowMillis())
            self.core.scheduleExpiry(of: session, on: self.router)
        }
        self.log(.debug, "disconnected")
    }

    private func publishWill(_ will: ConnectPacket.Will) {
        guard self.policy?.canPublish(topic: will.topic) ?? false else {
            self.core.metrics.aclDeniedPublish.increment()
            self.log(.info, "will denied", ["topic": "\(will.topic)"])
            return
        }
        let message = BrokerMessage(topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain)
        var nobodyWaits: AcknowledgementSlot?
        if will.retain { self.retain(message, acknowledgement: &nobodyWaits) }
        self.router.route(message)
    }

    private func protocolViolation(_ reason: String) {
        self.core.metrics.protocolErrors.increment()
        self.log(.debug, "closing on protocol violation: \(reason)")
        self.context?.close(promise: nil)
    }

    // MARK: Backpressure for shared subscriptions

    /// Stops reading from this publisher until the group has room again (checked every 10 ms).
    private func pause(until group: SharedGroup) {
        guard self.pausedOn == nil else { return }
        self.pausedOn = group
        self.core.metrics.publisherPauses.increment()
        self.updateReading()
        self.scheduleResumeCheck()
    }

    /// Reads while nothing holds the publisher back.
    private func updateReading() {
        let read = self.pausedOn == nil && !self.pausedForAcknowledgements
        self.context?.channel.setOption(ChannelOptions.autoRead, value: read).whenComplete { _ in }
    }

    private func scheduleResumeCheck() {
        self.router.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(10)) {
            guard let group = self.pausedOn, case .connected = self.state else { return }
            if group.hasRoom(maxQueued: self.core.limits.maxQueued) {
                self.pausedOn = nil
                self.updateReading()
            } else {
                self.scheduleResumeCheck()
            }
        }
    }

    /// Logs with the connection's identity attached (built only when the line is emitted).
    private func log(_ level: Logger.Level, _ message: @autoclosure () -> Logger.Message, _ extra: @autoclosure () -> Logger.Metadata = [:]) {
        guard self.logger.logLevel <= level else { return }
        var metadata = extra()
        metadata["client_id"] = "\(self.clientID)"
        metadata["identity"] = "\(self.identity ?? "-")"
        if let peer = self.context?.remoteAddress { metadata["peer"] = "\(peer)" }
        self.logger.log(level: level, message(), metadata: metadata)
    }

    // MARK: SessionConnection, FlushableConnection

    var isWritable: Bool { self.context?.channel.isWritable ?? false }

    func write(publish: PublishPacket) {
        guard let context = self.context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 16 + publish.topic.utf8.count + min(publish.payload.readableBytes, 1024))
        do { try publish.writeHeader(to: &buffer) } catch {
            self.log(.error, "cannot encode PUBLISH: \(error)")
            return
        }
        self.core.metrics.bytesOut.increment(by: buffer.readableBytes + publish.payload.readableBytes)
        // Small payloads are copied into one buffer; large ones go out as a second, shared buffer.
        if publish.payload.readableBytes <= 1024 {
            buffer.writeImmutableBuffer(publish.payload)
            self.context?.write(Self.wrapOutboundOut(buffer), promise: nil)
        } else {
            self.context?.write(Self.wrapOutboundOut(buffer), promise: nil)
            self.context?.write(Self.wrapOutboundOut(publish.payload), promise: nil)
        }
        self.core.metrics.packetOut(.publish)
        self.markDirty()
    }

    func write(packet: MQTTPacket) { self.writePacket(packet) }

    private func writePacket(_ packet: MQTTPacket) {
        guard let context = self.context else { return }
        var buffer = context.channel.allocator.buffer(capacity: 8)
        do { try packet.write(to: &buffer) } catch {
            self.log(.error, "cannot encode \(packet.type.name): \(error)")
            return
        }
        self.core.metrics.bytesOut.increment(by: buffer.readableBytes)
        self.core.metrics.packetOut(packet.type)
        self.context?.write(Self.wrapOutboundOut(buffer), promise: nil)
        self.markDirty()
    }

    func closeForTakeover() {
        self.willArmed = false
        self.state = .closed
        self.context?.close(promise: nil)
    }

    private func markDirty() {
        guard !self.needsFlush else { return }
        self.needsFlush = true
        self.router.markDirty(self)
    }

    func flushIfNeeded() {
        guard self.needsFlush else { return }
        self.needsFlush = false
        self.context?.flush()
    }
}
