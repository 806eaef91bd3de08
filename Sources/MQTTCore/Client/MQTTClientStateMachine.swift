import NIOCore

/// The client's session and connection state. It never touches a socket or a clock: each input
/// (an API call, a packet, a closed connection, a timer) returns what the client must do.
struct MQTTClientStateMachine: Sendable {
    enum ConnectionState: Sendable {
        /// Never connected, or `disconnect()` completed.
        case idle
        /// TCP/TLS/CONNECT under way. `promise` is the application's `connect()`; nil when this
        /// is an automatic reconnect.
        case connecting(id: UInt64, channel: (any Channel)?, promise: EventLoopPromise<Bool>?, attempt: Int)
        case connected(id: UInt64, channel: any Channel)
        case disconnecting(id: UInt64, promise: EventLoopPromise<Void>?)
        case waitingToReconnect(attempt: Int)
        case shutdown
    }

    /// A QoS 2 message received and not yet released by the broker's PUBREL.
    enum InboundExactlyOnce: Sendable {
        /// Delivered to the application, which has not acknowledged it yet.
        case awaitingApplication
        /// PUBREC sent.
        case awaitingRelease
    }

    enum PendingRequest: Sendable {
        case subscribe([SubscribePacket.Subscription], EventLoopPromise<[SubAckReturnCode]>?)
        case unsubscribe([String], EventLoopPromise<Void>?)
    }

    let cleanSession: Bool
    let automaticAcknowledgement: Bool
    let reconnectEnabled: Bool
    private(set) var connection: ConnectionState = .idle
    private var nextConnectionID: UInt64 = 1
    /// Changes whenever the broker's session is new, so that QoS 2 acknowledgements of an older
    /// session are ignored.
    private(set) var sessionGeneration: UInt64 = 0
    private var packetIDs = PacketIDAllocator()
    private(set) var outbound: OutboundPublishes
    private var pending: [UInt16: PendingRequest] = [:]
    /// Granted subscriptions, sent again when a reconnect finds no session.
    private(set) var subscriptions: [String: QoS] = [:]
    private var inboundExactlyOnce: [UInt16: InboundExactlyOnce] = [:]
    /// QoS 1 messages of the current connection that the application has not acknowledged, so
    /// that a second acknowledgement cannot acknowledge a later message with the same identifier.
    private var inboundAwaitingAck: Set<UInt16> = []

    init(cleanSession: Bool, inflightWindow: Int, automaticAcknowledgement: Bool, reconnectEnabled: Bool) {
        self.cleanSession = cleanSession
        self.automaticAcknowledgement = automaticAcknowledgement
        self.reconnectEnabled = reconnectEnabled
        self.outbound = OutboundPublishes(window: inflightWindow)
    }

    var isConnected: Bool {
        if case .connected = self.connection { return true }
        return false
    }

    var connectedChannel: (any Channel)? {
        if case .connected(_, let channel) = self.connection { return channel }
        return nil
    }

    private mutating func allocatePacketID() -> UInt16? {
        let outbound = self.outbound
        let pending = self.pending
        return self.packetIDs.allocate { outbound.contains($0) || pending[$0] != nil }
    }
}

// MARK: - Connection lifecycle
extension MQTTClientStateMachine {
    enum ConnectAction {
        case start(connectionID: UInt64)
        case fail(MQTTClientError)
    }

    mutating func connect(promise: EventLoopPromise<Bool>) -> ConnectAction {
        switch self.connection {
        case .idle, .waitingToReconnect:
            // While waiting for a backoff, the application's call starts the attempt at once.
            return .start(connectionID: self.beginConnecting(promise: promise, attempt: 0))
        case .connecting, .connected, .disconnecting:
            return .fail(.alreadyConnected)
        case .shutdown:
            return .fail(.shutdown)
        }
    }

    private mutating func beginConnecting(promise: EventLoopPromise<Bool>?, attempt: Int) -> UInt64 {
        let id = self.nextConnectionID
        self.nextConnectionID += 1
        self.connection = .connecting(id: id, channel: nil, promise: promise, attempt: attempt)
        return id
    }

    enum ChannelOpenedAction {
        case sendConnect
        case close
    }

    /// TCP (and TLS) is up: send CONNECT, unless the attempt was abandoned meanwhile.
    mutating func channelOpened(_ channel: any Channel, connectionID: UInt64) -> ChannelOpenedAction {
        guard case .connecting(connectionID, nil, let promise, let attempt) = self.connection else { return .close }
        self.connection = .connecting(id: connectionID, channel: channel, promise: promise, attempt: attempt)
        return .sendConnect
    }

    struct ConnAckActions {
        var connectPromise: EventLoopPromise<Bool>?
        var packets: [MQTTPacket] = []
        var event: MQTTConnectionEvent?
        var failure: ConnectionLostActions?
    }

    mutating func connAckReceived(_ connack: ConnAckPacket, connectionID: UInt64) -> ConnAckActions {
        guard case .connecting(connectionID, let channel?, let promise, _) = self.connection else {
            // A second CONNACK: the handler closes the connection with this error.
            var failure = self.connectionFailed(connectionID: connectionID, error: .protocolViolation("unexpected CONNACK"))
            failure.error = .protocolViolation("unexpected CONNACK")
            return ConnAckActions(failure: failure)
        }
        guard connack.returnCode == .accepted else {
            return ConnAckActions(failure: self.connectionFailed(connectionID: connectionID, error: .connectionRefused(connack.returnCode)))
        }
        self.connection = .connected(id: connectionID, channel: channel)
        self.inboundAwaitingAck.removeAll(keepingCapacity: true)
        var actions = ConnAckActions(connectPromise: promise, event: .connected(sessionPresent: connack.sessionPresent))
        if !connack.sessionPresent {
            self.sessionGeneration += 1
            self.inboundExactlyOnce.removeAll()
            if !self.subscriptions.isEmpty, let id = self.allocatePacketID() {
                let resubscribe = self.subscriptions.map { SubscribePacket.Subscription(filter: $0.key, qos: $0.value) }
                self.pending[id] = .subscribe(resubscribe, nil)
                actions.packets.append(.subscribe(SubscribePacket(packetID: id, subscriptions: resubscribe)))
            }
        }
        actions.packets += self.outbound.retransmissions(sessionPresent: connack.sessionPresent)
        while let next = self.outbound.dequeueIfRoom(), let packet = self.send(next) {
            actions.packets.append(.publish(packet))
        }
        return actions
    }

    struct ConnectionLostActions {
        var channelToClose: (any Channel)?
        var connectPromise: EventLoopPromise<Bool>?
        var disconnectPromise: EventLoopPromise<Void>?
        var failedPublishes: [EventLoopPromise<Void>] = []
        var failedRequests: [PendingRequest] = []
        var error: MQTTClientError = .connectionClosed
        var event: MQTTConnectionEvent?
        var reconnectAttempt: Int?
    }

    /// The current attempt did not reach CONNACK (refused, timed out, TCP or TLS failed). The
    /// application's own `connect()` fails; an automatic reconnect tries again later.
    mutating func connectionFailed(connectionID: UInt64, error: MQTTClientError) -> ConnectionLostActions {
        guard case .connecting(connectionID, let channel, let promise, let attempt) = self.connection else {
            return ConnectionLostActions()
        }
        var actions = ConnectionLostActions(channelToClose: channel, connectPromise: promise, error: error)
        if promise == nil && self.reconnectEnabled {
            actions.reconnectAttempt = attempt + 1
            self.connection = .waitingToReconnect(attempt: attempt + 1)
            actions.event = .disconnected(error: error)
        } else {
            self.connection = .idle
        }
        return actions
    }

    /// The channel of `connectionID` closed.
    mutating func channelClosed(connectionID: UInt64, error: MQTTClientError?) -> ConnectionLostActions {
        switch self.connection {
        case .connecting(connectionID, _, _, _):
            return self.connectionFailed(connectionID: connectionID, error: error ?? .connectionClosed)
        case .connected(connectionID, _):
            let error = error ?? .connectionClosed
            var actions = self.endSession(error: error)
            actions.event = .disconnected(error: error)
            if self.reconnectEnabled {
                self.connection = .waitingToReconnect(attempt: 0)
                actions.reconnectAttempt = 0
            } else {
                self.connection = .idle
            }
            return actions
        case .disconnecting(connectionID, let promise):
            var actions = self.endSession(error: .disconnected)
            actions.disconnectPromise = promise
            actions.event = .disconnected(error: nil)
            self.connection = .idle
            return actions
        default:
            return ConnectionLostActions()
        }
    }

    /// What a lost connection takes with it: pending requests always; QoS 1/2 publishes in flight
    /// only with a clean session (otherwise they are retransmitted on the next connection).
    private mutating func endSession(error: MQTTClientError) -> ConnectionLostActions {
        var actions = ConnectionLostActions(error: error)
        actions.failedRequests = Array(self.pending.values)
        self.pending.removeAll()
        if self.cleanSession {
            actions.failedPublishes = self.outbound.removeAll(inFlightOnly: true)
        }
        return actions
    }

    enum ReconnectTimerAction {
        case start(connectionID: UInt64)
        case none
    }

    mutating func reconnectTimerFired(attempt: Int) -> ReconnectTimerAction {
        guard case .waitingToReconnect(attempt) = self.connection else { return .none }
        return .start(connectionID: self.beginConnecting(promise: nil, attempt: attempt))
    }

    enum DisconnectAction {
        /// Send DISCONNECT, then close; the promise completes when the channel is closed.
        case sendDisconnect(any Channel)
        case close((any Channel)?, connectPromise: EventLoopPromise<Bool>?)
        case done
    }

    mutating func disconnect(promise: EventLoopPromise<Void>) -> DisconnectAction {
        switch self.connection {
        case .connected(let id, let channel):
            self.connection = .disconnecting(id: id, promise: promise)
            return .sendDisconnect(channel)
        case .connecting(_, let channel, let connectPromise, _):
            self.connection = .idle
            return .close(channel, connectPromise: connectPromise)
        case .disconnecting(let id, let previous):
            // Both callers complete when the channel closes.
            previous?.futureResult.cascade(to: promise)
            self.connection = .disconnecting(id: id, promise: previous ?? promise)
            return .done
        case .waitingToReconnect:
            self.connection = .idle
            return .done
        case .idle, .shutdown:
            return .done
        }
    }

    struct ShutdownActions {
        var channelToClose: (any Channel)?
        var sendDisconnect = false
        var connectPromise: EventLoopPromise<Bool>?
        var disconnectPromise: EventLoopPromise<Void>?
        var failedPublishes: [EventLoopPromise<Void>] = []
        var failedRequests: [PendingRequest] = []
    }

    /// Everything pending fails with `MQTTClientError.shutdown`; the client is done.
    mutating func shutdown() -> ShutdownActions {
        var actions = ShutdownActions()
        switch self.connection {
        case .connected(_, let channel):
            actions.channelToClose = channel
            actions.sendDisconnect = true
        case .connecting(_, let channel, let promise, _):
            actions.channelToClose = channel
            actions.connectPromise = promise
        case .disconnecting(_, let promise):
            actions.disconnectPromise = promise
        case .idle, .waitingToReconnect, .shutdown:
            break
        }
        self.connection = .shutdown
        actions.failedPublishes = self.outbound.removeAll(inFlightOnly: false)
        actions.failedRequests = Array(self.pending.values)
        self.pending.removeAll()
        return actions
    }
}

// MARK: - Outgoing publishes
extension MQTTClientStateMachine {
    enum PublishAction {
        /// Write it; for QoS 0 complete the promise with the write.
        case write(PublishPacket, any Channel)
        /// Queued behind the in-flight window or until the connection is back.
        case queued
        case fail(MQTTClientError)
    }

    mutating func publish(_ packet: PublishPacket, promise: EventLoopPromise<Void>) -> PublishAction {
        switch self.connection {
        case .idle, .disconnecting: return .fail(.notConnected)
        case .shutdown: return .fail(.shutdown)
        case .connecting, .waitingToReconnect, .connected: break
        }
        if packet.qos == .atMostOnce {
            guard let channel = self.connectedChannel else { return .fail(.notConnected) }
            return .write(packet, channel)
        }
        guard let channel = self.connectedChannel, self.outbound.hasRoom, self.outbound.waiting.isEmpty else {
            self.outbound.enqueue(packet, promise: promise)
            return .queued
        }
        guard let sent = self.send(.init(packet: packet, promise: promise)) else {
            return .fail(.protocolViolation("no free packet identifier"))
        }
        return .write(sent, channel)
    }

    /// Gives a waiting publish an identifier and puts it in flight.
    private mutating func send(_ waiting: OutboundPublishes.Waiting) -> PublishPacket? {
        guard let id = self.allocatePacketID() else {
            waiting.promise.fail(MQTTClientError.protocolViolation("no free packet identifier"))
            return nil
        }
        var packet = waiting.packet
        packet.packetID = id
        self.outbound.insert(packet, promise: waiting.promise)
        return packet
    }

    struct AcknowledgedActions {
        var completed: EventLoopPromise<Void>?
        /// Publishes that now fit in the window, and PUBREL for PUBREC.
        var packets: [MQTTPacket] = []
    }

    mutating func pubAckReceived(packetID: UInt16) -> AcknowledgedActions {
        self.completeOutbound(packetID, qos: .atLeastOnce)
    }

    mutating func pubCompReceived(packetID: UInt16) -> AcknowledgedActions {
        self.completeOutbound(packetID, qos: .exactlyOnce)
    }

    private mutating func completeOutbound(_ packetID: UInt16, qos: QoS) -> AcknowledgedActions {
        var actions = AcknowledgedActions(completed: self.outbound.complete(packetID, expecting: qos))
        guard actions.completed != nil, self.isConnected else { return actions }
        while let next = self.outbound.dequeueIfRoom(), let packet = self.send(next) {
            actions.packets.append(.publish(packet))
        }
        return actions
    }

    /// PUBREC: answer PUBREL. An unknown identifier is answered too, so the broker can finish.
    mutating func pubRecReceived(packetID: UInt16) -> MQTTPacket {
        _ = self.outbound.markReceived(packetID)
        return .pubrel(packetID: packetID)
    }
}

// MARK: - Subscriptions
extension MQTTClientStateMachine {
    enum RequestAction {
        case write(MQTTPacket, any Channel)
        case fail(MQTTClientError)
    }

    mutating func subscribe(
        _ subscriptions: [SubscribePacket.Subscription], promise: EventLoopPromise<[SubAckReturnCode]>
    ) -> RequestAction {
        guard let channel = self.connectedChannel else { return .fail(self.notConnectedError) }
        guard let id = self.allocatePacketID() else { return .fail(.protocolViolation("no free packet identifier")) }
        self.pending[id] = .subscribe(subscriptions, promise)
        return .write(.subscribe(SubscribePacket(packetID: id, subscriptions: subscriptions)), channel)
    }

    mutating func unsubscribe(_ filters: [String], promise: EventLoopPromise<Void>) -> RequestAction {
        guard let channel = self.connectedChannel else { return .fail(self.notConnectedError) }
        guard let id = self.allocatePacketID() else { return .fail(.protocolViolation("no free packet identifier")) }
        self.pending[id] = .unsubscribe(filters, promise)
        return .write(.unsubscribe(UnsubscribePacket(packetID: id, filters: filters)), channel)
    }

    private var notConnectedError: MQTTClientError {
        if case .shutdown = self.connection { return .shutdown }
        return .notConnected
    }

    enum SubAckAction {
        case succeed(EventLoopPromise<[SubAckReturnCode]>, [SubAckReturnCode])
        case none
        case protocolViolation(String)
    }

    mutating func subAckReceived(_ suback: SubAckPacket) -> SubAckAction {
        guard case .subscribe(let requested, let promise) = self.pending[suback.packetID] else {
            return .protocolViolation("SUBACK for unknown packet identifier \(suback.packetID)")
        }
        self.pending.removeValue(forKey: suback.packetID)
        guard requested.count == suback.returnCodes.count else {
            return .protocolViolation("SUBACK with \(suback.returnCodes.count) codes for \(requested.count) filters")
        }
        for (subscription, code) in zip(requested, suback.returnCodes) {
            if case .granted = code { self.subscriptions[subscription.filter] = subscription.qos }
        }
        guard let promise else { return .none }
        return .succeed(promise, suback.returnCodes)
    }

    mutating func unsubAckReceived(packetID: UInt16) -> EventLoopPromise<Void>? {
        guard case .unsubscribe(let filters, let promise) = self.pending[packetID] else { return nil }
        self.pending.removeValue(forKey: packetID)
        for filter in filters { self.subscriptions.removeValue(forKey: filter) }
        return promise
    }
}

// MARK: - Incoming publishes
extension MQTTClientStateMachine {
    struct InboundActions {
        /// False for a duplicate QoS 2 delivery.
        var deliver = false
        /// What the application's acknowledgement refers to; nil when none is expected.
        var token: MQTTInboundMessage.Acknowledgement.Token?
        /// PUBACK or PUBREC to send now.
        var reply: MQTTPacket?
    }

    mutating func publishReceived(_ publish: PublishPacket) -> InboundActions {
        guard let id = publish.packetID else { return InboundActions(deliver: true) }
        // Between connections (DISCONNECT sent) nothing could be acknowledged; the broker sends
        // the message again on the next connection, so it is not delivered now.
        guard case .connected(let connectionID, _) = self.connection else { return InboundActions() }
        let automatic = self.automaticAcknowledgement
        switch publish.qos {
        case .atMostOnce:
            return InboundActions(deliver: true)
        case .atLeastOnce:
            if !automatic { self.inboundAwaitingAck.insert(id) }
            return InboundActions(
                deliver: true,
                token: automatic ? nil : .connection(connectionID),
                reply: automatic ? .puback(packetID: id) : nil
            )
        case .exactlyOnce:
            switch self.inboundExactlyOnce[id] {
            case .awaitingApplication:
                return InboundActions()
            case .awaitingRelease:
                return InboundActions(reply: .pubrec(packetID: id))
            case nil:
                self.inboundExactlyOnce[id] = automatic ? .awaitingRelease : .awaitingApplication
                return InboundActions(
                    deliver: true,
                    token: automatic ? nil : .session(self.sessionGeneration),
                    reply: automatic ? .pubrec(packetID: id) : nil
                )
            }
        }
    }

    /// The application acknowledged a message: the packet to send, and where. QoS 1 acks are
    /// valid only on the connection that delivered the message (the identifier may be reused
    /// after a reconnect); QoS 2 ones for as long as the session holds the identifier.
    mutating func acknowledge(packetID: UInt16, token: MQTTInboundMessage.Acknowledgement.Token) -> (MQTTPacket, any Channel)? {
        switch token {
        case .connection(let connectionID):
            guard case .connected(connectionID, let channel) = self.connection,
                self.inboundAwaitingAck.remove(packetID) != nil
            else { return nil }
            return (.puback(packetID: packetID), channel)
        case .session(let generation):
            guard generation == self.sessionGeneration,
                case .awaitingApplication = self.inboundExactlyOnce[packetID]
            else { return nil }
            self.inboundExactlyOnce[packetID] = .awaitingRelease
            // Without a connection the broker sends the PUBLISH again, and gets PUBREC then.
            guard let channel = self.connectedChannel else { return nil }
            return (.pubrec(packetID: packetID), channel)
        }
    }

    /// PUBREL: the broker releases a QoS 2 message; forget the identifier and answer PUBCOMP.
    mutating func pubRelReceived(packetID: UInt16) -> MQTTPacket {
        self.inboundExactlyOnce.removeValue(forKey: packetID)
        return .pubcomp(packetID: packetID)
    }
}
