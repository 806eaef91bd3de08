import BrokerStore
import Logging
import MQTTAuthorization
import MQTTCore
import NIOCore
import NIOSSL
import NIOTLS

/// One client connection. Its `ConnectionStateMachine` decides; this handler carries the decisions
/// out on the channel's event loop, with that loop's router and the session the connection owns.
final class MQTTConnectionHandler: ChannelInboundHandler, SessionConnection, FlushableConnection, AcknowledgingPublisher, WheelTimed {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    typealias Machine = ConnectionStateMachine<Session, SharedGroup>

    private let core: BrokerCore
    private let router: LoopRouter
    private var machine: Machine
    private var decoder: BrokerPacketDecoder
    /// Why the client's certificate was refused, for the handshake-failure metric.
    private var certificateRefusal: ClientCertificateVerifier.Refusal?
    /// Nil once the handler is removed: holding it longer would keep the whole pipeline alive.
    private var context: ChannelHandlerContext?
    private var needsFlush = false
    /// Packets written since the last flush, in one buffer (nil when there are none): one
    /// allocation and one channel write per batch rather than per packet.
    private var outbound: ByteBuffer?
    /// Made at the first PUBLISH whose acknowledgement may wait; cut when the connection closes
    /// (it refers back to this handler until then).
    private var publisherLink: PublisherLink?
    private static let outboundBatchBytes = 16_384
    /// The size of the last batch (plus room for one more packet), which the next batch buffer is
    /// made with: a subscriber's batch otherwise grows from 256 bytes by doubling, five
    /// reallocations and copies per batch. An idle connection holds no buffer at all.
    private var outboundCapacity: UInt16 = 256
    /// The one timer (connect timeout, keep alive, lifetime, group room), in the loop's
    /// `ConnectionTimerWheel`, and when it fires.
    var wheelPosition = WheelPosition.none
    private var timerDeadline: Int64?
    private let connections: ConnectionTracker

    init(core: BrokerCore, router: LoopRouter, listener: Listener, connections: ConnectionTracker) {
        self.core = core
        self.decoder = BrokerPacketDecoder(
            connectLimit: core.limits.maxConnectPacketBytes, packetLimit: core.limits.maxPacketBytes
        )
        self.connections = connections
        self.router = router
        self.machine = Machine(settings: core.connectionSettings(for: listener))
        core.liveHandlers.add(1, ordering: .relaxed)
    }

    deinit { self.core.liveHandlers.subtract(1, ordering: .relaxed) }

    private static func now() -> Int64 { Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000) }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.outbound = nil
        self.cutPublisherLink()
        self.cancelTimer()
    }

    private func cutPublisherLink() {
        self.publisherLink?.cut()
        self.publisherLink = nil
    }

    private var acknowledgementLink: PublisherLink {
        if let link = self.publisherLink { return link }
        let link = PublisherLink(self)
        self.publisherLink = link
        return link
    }

    func channelActive(context: ChannelHandlerContext) {
        self.core.metrics.connectionsAccepted.increment()
        self.core.metrics.connectionsActive.increment()
        self.machine.channelActive(now: Self.now())
        self.armTimer()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.core.metrics.connectionsActive.decrement()
        self.connections.remove(client: context.channel)
        self.cutPublisherLink()
        self.cancelTimer()
        if case .end(let session, let will, let cleanSession) = self.machine.connectionClosed(draining: self.core.draining.load(ordering: .relaxed)) {
            self.connectionEnded(session, will: will, cleanSession: cleanSession)
        }
        self.router.flush()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Nothing more is read once a close was decided (after a decoding error too).
        guard self.machine.isOpen else { return }
        var bytes = Self.unwrapInboundIn(data)
        self.router.traffic.received(bytes: bytes.readableBytes)
        self.decoder.receive(&bytes)
        // Packets after a close request are not read (a batch may hold more than one).
        while self.machine.isOpen {
            let packet: MQTTPacket?
            do {
                packet = try self.decoder.next()
            } catch {
                self.decoder.discard()
                return self.errorCaught(context: context, error: error)
            }
            guard let packet else { return }
            self.router.traffic.packetIn(packet.type)
            self.handle(packet)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.machine.readCompleted(now: Self.now())
        self.router.flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let session = self.machine.session {
            session.pump()
            self.router.flush()
        }
        context.fireChannelWritabilityChanged()
    }

    /// Called by the TLS handshake's certificate check, before any MQTT byte arrives.
    func certificateChecked(_ result: Result<ClientCertificateVerifier.Verified, ClientCertificateVerifier.Refusal>) {
        switch result {
        case .success(let verified): self.machine.certificateVerified(commonName: verified.commonName)
        case .failure(let refusal): self.certificateRefusal = refusal
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is AuthorizationChanged {
            // New rules: publishes are judged by them from now on, subscriptions are re-checked.
            if let client = self.machine.client, let session = self.machine.rulesChanged(self.core.authorizer.connectionPolicy(for: client)) {
                self.recheckSubscriptions(of: session)
            }
            return
        }
        if case TLSUserEvent.handshakeCompleted = event {
            self.core.metrics.handshakes.increment()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure: Machine.Failure
        if error is NIOSSLError || error is BoringSSLError {
            failure = .handshake
        } else if case MQTTDecodingError.unsupportedProtocolLevel = error {
            failure = .unsupportedProtocolLevel
        } else {
            failure = .decoding
        }
        switch self.machine.failed(failure) {
        case .close(.handshakeRefused):
            let reason = self.certificateRefusal?.reason ?? "handshake"
            self.core.metrics.handshakeFailure(reason)
            self.log(.info, "TLS handshake refused", ["reason": "\(self.certificateRefusal?.detail ?? "\(error)")"])
        case .refuseProtocolLevel:
            self.core.metrics.protocolErrors.increment()
            self.log(.debug, "refusing protocol level: \(error)")
            self.writePacket(.connack(ConnAckPacket(returnCode: .unacceptableProtocolVersion)))
            self.flushIfNeeded()
        case .close:
            self.core.metrics.protocolErrors.increment()
            self.log(.debug, "closing on error: \(error)")
        }
        self.closeChannel()
    }

    // MARK: Carrying out the machine's decisions

    private func handle(_ packet: MQTTPacket) {
        switch self.machine.packetReceived(packet) {
        case .none: break
        case .connect(let connect): self.handleConnect(connect)
        case .close(let reason): self.close(reason)
        case .write(let reply): self.writePacket(reply)
        case .publish(let publish, let session): self.handlePublish(publish, session: session)
        case .subscribe(let subscribe, let session): self.handleSubscribe(subscribe, session: session)
        case .unsubscribe(let unsubscribe, let session): self.handleUnsubscribe(unsubscribe, session: session)
        case .acknowledgement(.puback(let id), let session): session.pubAck(id)
        case .acknowledgement(.pubrec(let id), let session): session.pubRec(id)
        case .acknowledgement(.pubcomp(let id), let session): session.pubComp(id)
        case .acknowledgement: break
        case .release(let id, let session):
            session.releasedQoS2(id)
            self.writePacket(.pubcomp(packetID: id))
        }
    }

    /// Closes the channel for `reason`, counted and logged; the session ends in `channelInactive`.
    private func close(_ reason: Machine.CloseReason) {
        switch reason {
        case .connectTimeout:
            self.core.metrics.connectTimeouts.increment()
            self.log(.debug, "closing: no CONNECT in time")
        case .keepaliveExpired:
            self.core.metrics.keepaliveTimeouts.increment()
            self.log(.debug, "closing: keepalive expired")
        case .lifetimeOver(let milliseconds):
            self.core.metrics.lifetimeCloses.increment()
            self.log(.info, "closing: connection lifetime over", ["lifetime_ms": "\(milliseconds)"])
        case .protocolViolation(let detail):
            self.core.metrics.protocolErrors.increment()
            self.log(.debug, "closing on protocol violation: \(detail)")
        case .publishDenied(let topic):
            self.core.metrics.aclDeniedPublish.increment()
            self.log(.warning, "publish denied, closing", ["topic": "\(topic)"])
        case .draining, .clientDisconnected, .refused, .handshakeRefused, .decodingFailed:
            break
        }
        self.closeChannel()
    }

    // MARK: CONNECT

    private func handleConnect(_ connect: ConnectPacket) {
        let client: ClientIdentity
        switch self.machine.connectReceived(connect, generatedClientID: { "auto-" + String(UInt64.random(in: .min ... .max), radix: 16) }) {
        case .refuse(let code, let reason): return self.refuse(code, reason)
        case .authorize(let who): client = who
        }
        if case .refused(let reason) = self.core.authorizer.authorizeConnect(client) {
            self.core.metrics.aclDeniedConnect.increment()
            return self.refuse(self.machine.refuse(.notAuthorized, reason))
        }
        let key = self.machine.connectAuthorized(policy: self.core.authorizer.connectionPolicy(for: client), now: Self.now(), jitter: Double.random(in: 0...1))
        self.armTimer()
        self.core.metrics.connects.increment()

        let router = self.router
        let cleanSession = connect.cleanSession
        let made = self.core.registry.claim(key, cleanSession: cleanSession) {
            Session(key: key, cleanSession: cleanSession, location: router.index, limits: self.core.limits, metrics: self.core.metrics, store: self.core.durable)
        }
        guard let claim = made else {
            return self.refuse(self.machine.refuse(.serverUnavailable, "identity holds \(self.core.limits.maxSessionsPerIdentity) sessions, all online"))
        }
        self.core.metrics.sessions.set(Double(self.core.registry.count))
        for ended in claim.ended {
            if ended.key != key { self.core.metrics.sessionsEvicted.increment() }
            self.core.end(ended, closingConnection: true)
        }
        if claim.resumed {
            let handler = NIOLoopBound(self, eventLoop: self.router.eventLoop)
            self.core.move(claim.session, to: router.index) { session in handler.value.adopt(session, resumed: true) }
        } else {
            self.adopt(claim.session, resumed: false)
        }
    }

    /// The session is on this loop now: answer CONNACK and start.
    private func adopt(_ session: Session, resumed: Bool) {
        switch self.machine.sessionArrived(session, resumed: resumed) {
        case .abandon(let session, let endSession):
            // The connection went away while its session was moving here.
            if endSession { self.core.endOnOwner(session, router: self.router) }
        case .start(let connack, let backlog):
            if resumed {
                self.recheckSubscriptions(of: session)
            } else {
                session.storeRecord()
            }
            self.writePacket(.connack(connack))
            self.log(.debug, "connected", ["session_present": "\(resumed)"])
            session.attach(self)
            for packet in backlog { self.handle(packet) }
            self.router.flush()
        }
    }

    /// Rights may have changed since the session was made (a new acl-file, a new certificate of the
    /// same identity): a resumed session keeps only what this connection may subscribe to now.
    private func recheckSubscriptions(of session: Session) {
        let (kept, dropped) = self.machine.recheck(session.subscriptions)
        for filter in dropped {
            session.removeSubscription(filter)
            self.core.unsubscribe(session, filter: filter, on: self.router)
            self.core.metrics.aclDeniedSubscribe.increment()
            self.log(.info, "resumed subscription no longer allowed, removed", ["filter": "\(filter)"])
        }
        // The read filter follows today's rights too (only partly readable filters have one).
        for grant in kept {
            self.core.subscribe(session, filter: grant.filter, qos: grant.qos, readFilter: grant.readFilter, on: self.router)
        }
        if !dropped.isEmpty { session.storeRecord() }
    }

    private func refuse(_ code: ConnectReturnCode, _ reason: String) {
        self.log(.info, "refusing connection", ["reason": "\(reason)", "return_code": "\(code.rawValue)"])
        self.core.metrics.connectionsRefused("\(code)").increment()
        self.writePacket(.connack(ConnAckPacket(returnCode: code)))
        self.flushIfNeeded()
        self.closeChannel()
    }

    private func refuse(_ action: Machine.ConnectAction) {
        if case .refuse(let code, let reason) = action { self.refuse(code, reason) }
    }

    // MARK: Timer

    /// Keeps one scheduled task at the machine's next deadline. A later deadline (the keep alive
    /// moving on with every read) is not rescheduled: the early firing finds nothing and re-arms.
    private func armTimer() {
        guard let deadline = self.machine.nextDeadline else { return self.cancelTimer() }
        if let scheduled = self.timerDeadline, scheduled <= deadline { return }
        self.timerDeadline = deadline
        self.router.timers.arm(self, deadline: deadline)
    }

    func wheelTimerFired() {
        self.timerDeadline = nil
        self.timerFired()
    }

    private func cancelTimer() {
        self.router.timers.cancel(self)
        self.timerDeadline = nil
    }

    private func timerFired() {
        let now = Self.now()
        switch self.machine.timerFired(now: now) {
        case .none: break
        case .close(let reason): self.close(reason)
        case .checkGroupRoom(let group):
            self.apply(self.machine.groupRoomChecked(hasRoom: group.hasRoom(maxQueued: self.core.limits.maxQueued), now: now))
        }
        self.armTimer()
    }

    // MARK: PUBLISH

    private func handlePublish(_ publish: PublishPacket, session: Session) {
        let sequence: UInt64?
        let draining = self.core.draining.load(ordering: .relaxed)
        if !draining { self.router.traffic.messageIn(publish.qos) }
        switch self.machine.publishReceived(publish, draining: draining) {
        case .close(let reason): return self.close(reason)
        case .route(let acknowledgementSequence): sequence = acknowledgementSequence
        }
        // The acknowledgement waits for shared-group members (end to end) and for store writes.
        var slot = sequence.map { AcknowledgementSlot(sequence: $0, publisher: self.acknowledgementLink, inbox: self.core.acknowledgementInboxes[self.router.index]) }
        if publish.qos == .exactlyOnce, !session.receivedQoS2(publish.packetID!, acknowledgement: { slot?.hold() }) {
            if let pubrec = self.machine.duplicateExactlyOnce(publish.packetID!) { self.writePacket(pubrec) }
            return
        }
        let message = BrokerMessage(topic: publish.topic, payload: publish.payload, qos: publish.qos, retain: publish.retain)
        if publish.retain { self.retain(message, acknowledgement: &slot) }
        let routed = self.router.route(message, acknowledgement: &slot)
        slot?.finish()
        if let full = routed.full {
            self.apply(self.machine.groupFull(full, now: Self.now()))
            self.armTimer()
        }
        guard let packetID = publish.packetID, publish.qos != .atMostOnce else { return }
        if let acknowledgement = self.machine.publishRouted(packetID: packetID, qos: publish.qos, waits: slot?.acknowledgement != nil) {
            return self.writePacket(acknowledgement)
        }
        self.writeReadyAcknowledgements()
        self.apply(self.machine.readingChange())
    }

    /// Keeps (or clears) the topic's retained message; with a store, on disk before the publisher's
    /// acknowledgement.
    private func retain(_ message: BrokerMessage, acknowledgement slot: inout AcknowledgementSlot?) {
        guard self.core.retained.store(message), let journal = self.core.durable?.journal(self.router.index) else { return }
        let mutation: StoreMutation =
            message.payload.readableBytes == 0
            ? .deleteRetained(topic: message.topic) : .putRetained(RetainedMessage(message))
        journal.add(mutation, releasing: slot?.hold())
    }

    private func writeReadyAcknowledgements() {
        while let acknowledgement = self.machine.nextAcknowledgement() {
            self.writePacket(acknowledgement)
        }
    }

    /// Every shared-group member acknowledged the PUBLISH at `sequence`.
    func deliveryAcknowledged(_ sequence: UInt64) {
        guard self.machine.deliveryAcknowledged(sequence) else { return }
        self.writeReadyAcknowledgements()
        self.apply(self.machine.readingChange())
    }

    /// Reads while nothing holds the publisher back.
    private func apply(_ change: Machine.ReadingChange?) {
        guard let change else { return }
        if change == .pause { self.core.metrics.publisherPauses.increment() }
        // Synchronously, on the channel's loop: no future per pause or resume.
        try? self.context?.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: change == .resume)
    }

    // MARK: SUBSCRIBE, UNSUBSCRIBE

    private func handleSubscribe(_ subscribe: SubscribePacket, session: Session) {
        let decision = self.machine.subscriptionsRequested(subscribe)
        for filter in decision.denied {
            self.core.metrics.aclDeniedSubscribe.increment()
            self.log(.info, "subscription denied", ["filter": "\(filter)"])
        }
        for grant in decision.granted {
            session.addSubscription(grant.filter, qos: grant.qos)
            self.core.subscribe(session, filter: grant.filter, qos: grant.qos, readFilter: grant.readFilter, on: self.router)
        }
        // The SUBACK once the subscriptions are stored; retained messages follow it, shared
        // subscriptions get none.
        session.storeRecord(then: {
            self.whileConnected(to: session) {
                self.writePacket(.suback(SubAckPacket(packetID: subscribe.packetID, returnCodes: decision.returnCodes)))
                for grant in decision.granted where !grant.isShared {
                    for message in self.core.retained.matching(filter: grant.filter) where grant.readFilter?.allows(topic: message.topic) ?? true {
                        session.enqueue(OutboundMessage(message: message, qos: min(message.qos, grant.qos), retain: true, sharedGroup: nil))
                    }
                }
            }
        })
    }

    private func handleUnsubscribe(_ unsubscribe: UnsubscribePacket, session: Session) {
        for filter in unsubscribe.filters where session.removeSubscription(filter) {
            self.core.unsubscribe(session, filter: filter, on: self.router)
        }
        session.storeRecord(then: { self.whileConnected(to: session) { self.writePacket(.unsuback(packetID: unsubscribe.packetID)) } })
    }

    /// Runs `body` if this connection still holds `session` (a store commit may complete after
    /// the connection closed or the session moved away), and flushes what it wrote.
    private func whileConnected(to session: Session, _ body: () -> Void) {
        guard self.machine.holds(session) else { return }
        body()
        self.router.flush()
    }

    // MARK: Ending

    private func connectionEnded(_ session: Session, will: ConnectPacket.Will?, cleanSession: Bool) {
        if let will { self.publishWill(will) }
        if cleanSession {
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
        guard self.machine.mayPublishWill(will) else {
            self.core.metrics.aclDeniedPublish.increment()
            self.log(.info, "will denied", ["topic": "\(will.topic)"])
            return
        }
        let message = BrokerMessage(topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain)
        var nobodyWaits: AcknowledgementSlot?
        if will.retain { self.retain(message, acknowledgement: &nobodyWaits) }
        self.router.route(message)
    }

    /// Logs with the connection's identity attached (built only when the line is emitted).
    private func log(_ level: Logger.Level, _ message: @autoclosure () -> Logger.Message, _ extra: @autoclosure () -> Logger.Metadata = [:]) {
        // Shared, never copied per connection: the connection's fields are added only to the
        // lines it logs, which keeps idle connections small.
        guard self.core.logger.logLevel <= level else { return }
        var metadata = extra()
        metadata["client_id"] = "\(self.machine.client?.clientID ?? "")"
        metadata["identity"] = "\(self.machine.client?.identity ?? "-")"
        if let peer = self.context?.remoteAddress { metadata["peer"] = "\(peer)" }
        self.core.logger.log(level: level, message(), metadata: metadata)
    }

    // MARK: SessionConnection, FlushableConnection

    var isWritable: Bool { self.context?.channel.isWritable ?? false }

    func write(publish: PublishPacket) {
        guard self.context != nil else { return }
        let start = self.outboundStart()
        do { try publish.writeHeader(to: &self.outbound!) } catch {
            self.outbound!.moveWriterIndex(to: start)
            self.log(.error, "cannot encode PUBLISH: \(error)")
            return
        }
        // Small payloads are copied into the batch; large ones go out as a second, shared buffer.
        if publish.payload.readableBytes <= 1024 {
            self.outbound!.writeImmutableBuffer(publish.payload)
        } else {
            self.writeOutbound()
            self.router.traffic.sent(bytes: publish.payload.readableBytes)
            self.context?.write(Self.wrapOutboundOut(publish.payload), promise: nil)
        }
        self.router.traffic.packetOut(.publish)
        // A resend (DUP, after a reconnect) is the same message again.
        if !publish.dup { self.router.traffic.messageOut(publish.qos) }
        self.wrote()
    }

    func write(packet: MQTTPacket) { self.writePacket(packet) }

    private func writePacket(_ packet: MQTTPacket) {
        guard self.context != nil else { return }
        let start = self.outboundStart()
        do { try packet.write(to: &self.outbound!) } catch {
            self.outbound!.moveWriterIndex(to: start)
            self.log(.error, "cannot encode \(packet.type.name): \(error)")
            return
        }
        self.router.traffic.packetOut(packet.type)
        self.wrote()
    }

    /// Makes the batch buffer on first need; returns where the next packet starts in it.
    private func outboundStart() -> Int {
        if self.outbound == nil { self.outbound = self.context!.channel.allocator.buffer(capacity: Int(self.outboundCapacity)) }
        return self.outbound!.writerIndex
    }

    private func wrote() {
        // A large batch goes to the channel at once, so that its writability (which sessions
        // check before sending more) counts it.
        if let size = self.outbound?.readableBytes, size >= Self.outboundBatchBytes { self.writeOutbound() }
        self.markDirty()
    }

    /// Hands the batch to the channel (flushed by `flushIfNeeded`, or with the close).
    private func writeOutbound() {
        guard let batch = self.outbound else { return }
        self.outbound = nil
        self.outboundCapacity = UInt16(min(max(batch.readableBytes + 512, 256), Self.outboundBatchBytes + 2048))
        self.router.traffic.sent(bytes: batch.readableBytes)
        self.context?.write(Self.wrapOutboundOut(batch), promise: nil)
    }

    private func closeChannel() {
        self.writeOutbound()
        self.context?.close(promise: nil)
    }

    func closeForTakeover() {
        self.machine.takenOver()
        self.closeChannel()
    }

    private func markDirty() {
        guard !self.needsFlush else { return }
        self.needsFlush = true
        self.router.markDirty(self)
    }

    func flushIfNeeded() {
        guard self.needsFlush else { return }
        self.needsFlush = false
        self.writeOutbound()
        self.context?.flush()
    }
}
