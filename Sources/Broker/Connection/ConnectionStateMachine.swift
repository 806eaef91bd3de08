import BrokerStore
import MQTTAuthorization
import MQTTCore

/// The broker's side of one client connection, with no I/O and no clock. Each input (a packet,
/// the timer, the session arriving, a member's acknowledgement, a rule change, the close) returns
/// what the connection must do; `MQTTConnectionHandler` only carries that out. Times are
/// milliseconds of a monotonic clock the caller passes in: NIO's uptime in the handler, a virtual
/// clock in the tests.
///
/// Generic over the session and shared-group handles so that tests drive it without a broker.
struct ConnectionStateMachine<SessionHandle: AnyObject, GroupHandle: AnyObject> {
    final class WillBox {
        let will: ConnectPacket.Will
        init(_ will: ConnectPacket.Will) { self.will = will }
    }

    enum Phase {
        case awaitingConnect
        /// CONNECT accepted: the session is being claimed or is on its way from another loop;
        /// packets wait in `backlog` until it is here.
        case adopting
        case connected(SessionHandle)
        /// Close requested; packets still in the read batch are ignored. The session (if any)
        /// ends when the channel has closed.
        case closing(SessionHandle?)
        case closed
    }

    /// Why the broker closes a connection (for the log line and the metric).
    enum CloseReason: Equatable {
        case connectTimeout
        case keepaliveExpired
        case lifetimeOver(milliseconds: Int64)
        case protocolViolation(String)
        case publishDenied(topic: String)
        /// Shutting down: the PUBLISH is not acknowledged, so the client sends it again elsewhere.
        case draining
        case clientDisconnected
        /// CONNACK with a failure code was written.
        case refused
        case handshakeRefused
        case decodingFailed
    }

    let settings: ConnectionSettings
    private(set) var phase = Phase.awaitingConnect
    /// Set by the TLS handshake's certificate check; the identity on the mutual-TLS listener.
    private(set) var certificateIdentity: String?
    /// Who connected (client id, identity), once CONNECT was read.
    private(set) var client: ClientIdentity?
    /// What this connection may publish and subscribe; set when CONNECT is authorized.
    private var policy: (any ConnectionPolicy)?
    private var cleanSession = true
    private var protocolVersion = ProtocolVersion.v3_1_1
    /// Boxed: most devices send no will, and inline it would cost every connection 48 bytes.
    private var will: WillBox?
    /// False after DISCONNECT or a takeover: the will is not published then [MQTT-3.1.2-10].
    private var willArmed = true
    private var backlog: [MQTTPacket] = []
    /// QoS 1/2 PUBLISHes whose acknowledgement waits for group members or the store.
    private var acknowledgements = PublisherAckQueue()

    // Timers: all deadlines are served by one timer at `nextDeadline`.
    private var connectDeadline = Self.never
    /// 1.5 times the client's keep alive [MQTT-3.1.2-24]; nil when keep alive is 0.
    private var keepaliveTimeout = Self.never
    private var lastReadAt: Int64 = 0
    private var lifetimeDeadline = Self.never
    private var lifetime: Int64 = 0

    // Backpressure: reading stops while a group is full or too many acknowledgements wait.
    private var pausedOn: GroupHandle?
    private var groupCheckAt = Self.never
    private var pausedForAcknowledgements = false
    private(set) var isReading = true

    /// No deadline (plain `Int64`s with this value rather than optionals: 8 bytes less each on
    /// every connection).
    private static var never: Int64 { .max }

    init(settings: ConnectionSettings) {
        self.settings = settings
    }

    var session: SessionHandle? {
        if case .connected(let session) = self.phase { return session }
        return nil
    }

    /// The connection still holds `session` (a store commit may complete after it closed or the
    /// session moved away).
    func holds(_ session: SessionHandle) -> Bool {
        self.session === session
    }

    var isAwaitingConnect: Bool {
        if case .awaitingConnect = self.phase { return true }
        return false
    }

    var isOpen: Bool {
        switch self.phase {
        case .awaitingConnect, .adopting, .connected: true
        case .closing, .closed: false
        }
    }

    /// Stops taking packets; the session ends when the channel has closed.
    @discardableResult
    private mutating func closing(_ reason: CloseReason) -> CloseReason {
        switch self.phase {
        case .connected(let session): self.phase = .closing(session)
        case .awaitingConnect, .adopting: self.phase = .closing(nil)
        case .closing, .closed: break
        }
        return reason
    }
}

// MARK: - Timers

extension ConnectionStateMachine {
    enum TimerAction {
        case none
        case close(CloseReason)
        /// Look whether the group has room now, then call `groupRoomChecked`.
        case checkGroupRoom(GroupHandle)
    }

    /// When the timer must fire next; nil when nothing waits for time.
    var nextDeadline: Int64? {
        guard self.isOpen else { return nil }
        let next = min(self.connectDeadline, self.keepaliveDeadline, self.lifetimeDeadline, self.groupCheckAt)
        return next == Self.never ? nil : next
    }

    private var keepaliveDeadline: Int64 {
        self.keepaliveTimeout == Self.never ? Self.never : self.lastReadAt + self.keepaliveTimeout
    }

    mutating func channelActive(now: Int64) {
        self.connectDeadline = now + self.settings.connectTimeoutMilliseconds
        self.lastReadAt = now
    }

    /// Bytes arrived (once per read batch): the keep alive starts again.
    mutating func readCompleted(now: Int64) {
        self.lastReadAt = now
    }

    mutating func timerFired(now: Int64) -> TimerAction {
        guard self.isOpen else { return .none }
        if now >= self.connectDeadline, self.isAwaitingConnect {
            return .close(self.closing(.connectTimeout))
        }
        if now >= self.keepaliveDeadline {
            return .close(self.closing(.keepaliveExpired))
        }
        if now >= self.lifetimeDeadline, self.session != nil {
            return .close(self.closing(.lifetimeOver(milliseconds: self.lifetime)))
        }
        if now >= self.groupCheckAt, let group = self.pausedOn {
            self.groupCheckAt = Self.never
            return .checkGroupRoom(group)
        }
        return .none
    }
}

// MARK: - CONNECT, adopting the session, the end of the connection

extension ConnectionStateMachine {
    enum ConnectAction {
        /// Write a CONNACK with this code and close.
        case refuse(ConnectReturnCode, reason: String)
        /// Ask the authorizer about `client`, then call `connectAuthorized` or `refuse`.
        case authorize(ClientIdentity)
    }

    enum AdoptAction {
        /// The connection went away while its session travelled here; a clean session ends.
        case abandon(SessionHandle, endSession: Bool)
        /// Write the CONNACK, attach the session, then handle the packets that waited.
        case start(ConnAckPacket, backlog: [MQTTPacket])
    }

    enum EndAction {
        case none
        /// The connection of a session closed: publish the will (if any), end or detach the session.
        case end(SessionHandle, will: ConnectPacket.Will?, cleanSession: Bool)
    }

    enum Failure {
        case handshake
        case unsupportedProtocolLevel
        case decoding
    }

    enum FailureAction {
        case close(CloseReason)
        /// CONNACK 0x01, then close [MQTT-3.1.2-2].
        case refuseProtocolLevel
    }

    mutating func certificateVerified(commonName: String?) {
        self.certificateIdentity = commonName
    }

    mutating func connectReceived(_ connect: ConnectPacket, generatedClientID: () -> String) -> ConnectAction {
        self.connectDeadline = Self.never
        var clientID = connect.clientID
        self.protocolVersion = connect.protocolVersion
        // MQTT 3.1: the client id is 1 to 23 bytes, no exceptions.
        if connect.protocolVersion == .v3_1, clientID.isEmpty || clientID.utf8.count > 23 {
            return self.refuse(.identifierRejected, "an MQTT 3.1 client id must be 1 to 23 bytes")
        }
        if clientID.isEmpty {
            // [MQTT-3.1.3-7], [MQTT-3.1.3-8]: a server-assigned id only for a clean session.
            guard connect.cleanSession else { return self.refuse(.identifierRejected, "empty client id needs a clean session") }
            clientID = generatedClientID()
        }
        guard clientID.utf8.count <= self.settings.maxClientIDLength else {
            return self.refuse(.identifierRejected, "client id longer than \(self.settings.maxClientIDLength) bytes")
        }
        let identity = self.settings.identityFromUsername ? connect.username : self.certificateIdentity
        let client = ClientIdentity(identity: identity, clientID: clientID, viaVerifiedCertificate: !self.settings.identityFromUsername)
        self.client = client
        self.cleanSession = connect.cleanSession
        self.will = connect.will.map(WillBox.init)
        if connect.keepAlive > 0 { self.keepaliveTimeout = Int64(connect.keepAlive) * 1500 }
        return .authorize(client)
    }

    /// The client may connect: `policy` holds its rights from now on. `jitter` in 0...1 spreads
    /// the devices' lifetime ends (the caller draws it, so tests can fix it).
    /// `jitter` is drawn only when a jittered lifetime applies: a random draw is a system call.
    mutating func connectAuthorized(policy: any ConnectionPolicy, now: Int64, jitter: @autoclosure () -> Double) -> SessionKey {
        self.policy = policy
        self.phase = .adopting
        self.lastReadAt = now
        if self.client?.isDeviceIdentity == true, let lifetime = self.settings.deviceLifetimeMilliseconds {
            let percent = self.settings.lifetimeJitterPercent
            let spread = percent == 0 ? 0 : Double(percent) / 100 * min(max(jitter(), 0), 1)
            self.lifetime = Int64(Double(lifetime) * (1 - spread))
            self.lifetimeDeadline = now + self.lifetime
        }
        return SessionKey(identity: self.client?.identity, clientID: self.client?.clientID ?? "")
    }

    /// CONNECT refused (not authorized, no session to be had): CONNACK with `code`, then close.
    mutating func refuse(_ code: ConnectReturnCode, _ reason: String) -> ConnectAction {
        self.willArmed = false
        self.closing(.refused)
        return .refuse(code, reason: reason)
    }

    /// The claimed session is on this connection's loop now.
    mutating func sessionArrived(_ session: SessionHandle, resumed: Bool) -> AdoptAction {
        guard case .adopting = self.phase else {
            return .abandon(session, endSession: self.cleanSession)
        }
        self.phase = .connected(session)
        let backlog = self.backlog
        self.backlog = []
        // [MQTT-3.2.2-1], [MQTT-3.2.2-2]: session present only for a resumed persistent session.
        // MQTT 3.1 has no session-present flag: that CONNACK byte is reserved.
        let sessionPresent = resumed && self.protocolVersion != .v3_1
        return .start(ConnAckPacket(sessionPresent: sessionPresent, returnCode: .accepted), backlog: backlog)
    }

    /// Another connection took the session over: close without the will [MQTT-3.1.4-2].
    mutating func takenOver() {
        self.willArmed = false
        // The new connection owns the session now; this one must not end or detach it.
        self.phase = .closed
    }

    mutating func failed(_ failure: Failure) -> FailureAction {
        let awaitingConnect = self.isAwaitingConnect
        switch failure {
        case .handshake where awaitingConnect:
            return .close(self.closing(.handshakeRefused))
        case .unsupportedProtocolLevel where awaitingConnect:
            self.willArmed = false
            self.closing(.refused)
            return .refuseProtocolLevel
        default:
            return .close(self.closing(.decodingFailed))
        }
    }

    /// The channel closed. `draining`: the broker is shutting down, and sends no wills.
    mutating func connectionClosed(draining: Bool) -> EndAction {
        let phase = self.phase
        self.phase = .closed
        let session: SessionHandle
        switch phase {
        case .connected(let held), .closing(.some(let held)): session = held
        case .awaitingConnect, .adopting, .closing(.none), .closed: return .none
        }
        let will = self.willArmed && !draining ? self.will?.will : nil
        return .end(session, will: will, cleanSession: self.cleanSession)
    }

    /// A will is published only where its client may publish.
    mutating func mayPublishWill(_ will: ConnectPacket.Will) -> Bool {
        self.policy?.canPublish(topic: will.topic) ?? false
    }

    /// The rules changed: the policy to use from now on, and the session whose subscriptions must
    /// be checked again.
    mutating func rulesChanged(_ policy: any ConnectionPolicy) -> SessionHandle? {
        guard let session = self.session else { return nil }
        self.policy = policy
        return session
    }
}

// MARK: - Packets of the connection, acknowledgements, backpressure

extension ConnectionStateMachine {
    enum PacketAction {
        case none
        case connect(ConnectPacket)
        case close(CloseReason)
        case write(MQTTPacket)
        case publish(PublishPacket, SessionHandle)
        case subscribe(SubscribePacket, SessionHandle)
        case unsubscribe(UnsubscribePacket, SessionHandle)
        /// PUBACK, PUBREC or PUBCOMP for a message the broker sent.
        case acknowledgement(MQTTPacket, SessionHandle)
        /// PUBREL: the session forgets the QoS 2 id; answer PUBCOMP [MQTT-4.3.3-2].
        case release(packetID: UInt16, SessionHandle)
    }

    mutating func packetReceived(_ packet: MQTTPacket) -> PacketAction {
        switch self.phase {
        case .awaitingConnect:
            // [MQTT-3.1.0-1]: the first packet is CONNECT.
            guard case .connect(let connect) = packet else {
                return .close(self.closing(.protocolViolation("first packet is \(packet.type.name), not CONNECT")))
            }
            return .connect(connect)
        case .adopting:
            self.backlog.append(packet)
            return .none
        case .closing, .closed:
            return .none
        case .connected(let session):
            switch packet {
            case .publish(let publish): return .publish(publish, session)
            case .puback, .pubrec, .pubcomp: return .acknowledgement(packet, session)
            case .pubrel(let id): return .release(packetID: id, session)
            case .subscribe(let subscribe): return .subscribe(subscribe, session)
            case .unsubscribe(let unsubscribe): return .unsubscribe(unsubscribe, session)
            case .pingreq: return .write(.pingresp)
            case .disconnect:
                // [MQTT-3.14.4-3]: the will is discarded.
                self.willArmed = false
                return .close(self.closing(.clientDisconnected))
            case .connect:
                // [MQTT-3.1.0-2]: a second CONNECT is a protocol violation.
                return .close(self.closing(.protocolViolation("second CONNECT")))
            case .connack, .suback, .unsuback, .pingresp:
                return .close(self.closing(.protocolViolation("\(packet.type.name) from a client")))
            }
        }
    }

    // MARK: PUBLISH and its acknowledgement

    enum PublishAction {
        case close(CloseReason)
        /// Route the message. `acknowledgementSequence`: set when its acknowledgement may wait
        /// (the slot for members and store commits gets this place in the queue).
        case route(acknowledgementSequence: UInt64?)
    }

    mutating func publishReceived(_ publish: PublishPacket, draining: Bool) -> PublishAction {
        if draining {
            self.willArmed = false
            return .close(self.closing(.draining))
        }
        guard self.policy?.canPublish(topic: publish.topic) ?? false else {
            return .close(self.closing(.publishDenied(topic: publish.topic)))
        }
        let mayWait = publish.qos != .atMostOnce && self.settings.acknowledgementsMayWait
        return .route(acknowledgementSequence: mayWait ? self.acknowledgements.nextSequence : nil)
    }

    /// A QoS 2 PUBLISH sent again after its message was routed: acknowledged (once its groups have
    /// it), never routed twice [MQTT-4.3.3-2].
    func duplicateExactlyOnce(_ packetID: UInt16) -> MQTTPacket? {
        self.acknowledgements.isWaiting(packetID: packetID) ? nil : .pubrec(packetID: packetID)
    }

    /// The message was routed; `waits`: its acknowledgement waits for group members or the store.
    /// Returns the acknowledgement when it may be written at once; else it is queued (then write
    /// `nextAcknowledgement()`s and apply `readingChange()`).
    mutating func publishRouted(packetID: UInt16, qos: QoS, waits: Bool) -> MQTTPacket? {
        if !waits, self.acknowledgements.isEmpty { return Self.acknowledgement(packetID, qos) }
        // Acknowledgements keep the order of the PUBLISHes [MQTT-4.6.0-2], [MQTT-4.6.0-3].
        self.acknowledgements.append(packetID: packetID, qos: qos, ready: !waits)
        return nil
    }

    /// Every copy of the PUBLISH at `sequence` was acknowledged (or stored). False when the
    /// connection no longer serves a session (nothing to write).
    mutating func deliveryAcknowledged(_ sequence: UInt64) -> Bool {
        guard self.session != nil else { return false }
        self.acknowledgements.markReady(sequence)
        return true
    }

    /// The next acknowledgement that may be written now, in PUBLISH order.
    mutating func nextAcknowledgement() -> MQTTPacket? {
        guard let ready = self.acknowledgements.popReady() else { return nil }
        return Self.acknowledgement(ready.packetID, ready.qos)
    }

    private static func acknowledgement(_ packetID: UInt16, _ qos: QoS) -> MQTTPacket {
        qos == .exactlyOnce ? .pubrec(packetID: packetID) : .puback(packetID: packetID)
    }

    // MARK: Backpressure

    enum ReadingChange { case pause, resume }

    /// Whether reading from the client must stop or start again: it stops while a shared group is
    /// full or too many acknowledgements wait, and starts when the queue is down to half.
    mutating func readingChange() -> ReadingChange? {
        let waiting = self.acknowledgements.count
        if waiting >= self.settings.maxUnacknowledgedPublishes {
            self.pausedForAcknowledgements = true
        } else if self.pausedForAcknowledgements, waiting < self.settings.maxUnacknowledgedPublishes / 2 {
            self.pausedForAcknowledgements = false
        }
        let read = self.pausedOn == nil && !self.pausedForAcknowledgements
        guard read != self.isReading else { return nil }
        self.isReading = read
        return read ? .resume : .pause
    }

    /// Routing found `group` with no room: pause until it has some (looked at on the timer).
    mutating func groupFull(_ group: GroupHandle, now: Int64) -> ReadingChange? {
        if self.pausedOn == nil {
            self.pausedOn = group
            self.groupCheckAt = now + self.settings.groupRoomCheckMilliseconds
        }
        return self.readingChange()
    }

    mutating func groupRoomChecked(hasRoom: Bool, now: Int64) -> ReadingChange? {
        if hasRoom {
            self.pausedOn = nil
        } else {
            self.groupCheckAt = now + self.settings.groupRoomCheckMilliseconds
        }
        return self.readingChange()
    }

    // MARK: SUBSCRIBE

    struct Grant {
        let filter: String
        let qos: QoS
        /// For a filter only partly readable: what each delivery must pass.
        let readFilter: TopicReadFilter?
        let isShared: Bool
    }

    struct SubscribeDecision {
        var returnCodes: [SubAckReturnCode] = []
        var granted: [Grant] = []
        var denied: [String] = []
    }

    /// Judges each filter by the connection's rights; a malformed one gets 0x80 like a denied one.
    mutating func subscriptionsRequested(_ subscribe: SubscribePacket) -> SubscribeDecision {
        var decision = SubscribeDecision()
        for subscription in subscribe.subscriptions {
            let filter = subscription.filter
            let shared: SharedFilter?
            do { shared = try SharedFilter.parse(filter) } catch {
                decision.returnCodes.append(self.refusedCode(for: subscription))
                continue
            }
            guard self.policy?.canSubscribe(filter: filter) ?? false else {
                decision.denied.append(filter)
                decision.returnCodes.append(self.refusedCode(for: subscription))
                continue
            }
            let readFilter = self.policy?.readFilter(forSubscription: filter)
            decision.granted.append(Grant(filter: filter, qos: subscription.qos, readFilter: readFilter, isShared: shared != nil))
            decision.returnCodes.append(.granted(subscription.qos))
        }
        return decision
    }

    /// 0x80 came with MQTT 3.1.1; a 3.1 client is answered with the QoS it asked for, and the
    /// filter is not subscribed (as mosquitto does), so it receives nothing on it.
    private func refusedCode(for subscription: SubscribePacket.Subscription) -> SubAckReturnCode {
        self.protocolVersion == .v3_1 ? .granted(subscription.qos) : .failure
    }

    /// Subscriptions a session brought along (resumed, or kept across a rule change), judged by
    /// the connection's rights now: those kept, with today's read filter, and those dropped.
    mutating func recheck(_ subscriptions: [String: QoS]) -> (kept: [Grant], dropped: [String]) {
        var kept: [Grant] = []
        var dropped: [String] = []
        for (filter, qos) in subscriptions {
            guard self.policy?.canSubscribe(filter: filter) ?? false else {
                dropped.append(filter)
                continue
            }
            kept.append(Grant(filter: filter, qos: qos, readFilter: self.policy?.readFilter(forSubscription: filter), isShared: false))
        }
        return (kept, dropped)
    }
}
