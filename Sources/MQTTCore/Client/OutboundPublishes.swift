import NIOCore

/// The client's outgoing QoS 1/2 publishes: those sent and not yet acknowledged (at most the
/// window), and those waiting for room, in the order the application published them.
struct OutboundPublishes: Sendable {
    enum Stage: Sendable {
        /// Sent, waiting for PUBACK (QoS 1) or PUBREC (QoS 2).
        case awaitingAcknowledgement
        /// QoS 2: PUBREC received and PUBREL sent, waiting for PUBCOMP.
        case awaitingCompletion
    }

    struct InFlight: Sendable {
        var packet: PublishPacket
        var stage: Stage
        let promise: EventLoopPromise<Void>
        /// Publication order, for retransmission in that order after a reconnect.
        let sequence: UInt64
    }

    struct Waiting: Sendable {
        var packet: PublishPacket
        let promise: EventLoopPromise<Void>
    }

    let window: Int
    private(set) var inFlight: [UInt16: InFlight] = [:]
    private(set) var waiting = CircularBuffer<Waiting>()
    private var nextSequence: UInt64 = 0

    init(window: Int) {
        self.window = window
        self.inFlight.reserveCapacity(min(window, 1024))
    }

    var hasRoom: Bool { self.inFlight.count < self.window }

    func contains(_ packetID: UInt16) -> Bool { self.inFlight[packetID] != nil }

    mutating func enqueue(_ packet: PublishPacket, promise: EventLoopPromise<Void>) {
        self.waiting.append(Waiting(packet: packet, promise: promise))
    }

    /// Takes the next waiting publish when the window has room.
    mutating func dequeueIfRoom() -> Waiting? {
        guard self.hasRoom, !self.waiting.isEmpty else { return nil }
        return self.waiting.removeFirst()
    }

    mutating func insert(_ packet: PublishPacket, promise: EventLoopPromise<Void>) {
        self.inFlight[packet.packetID!] = InFlight(
            packet: packet, stage: .awaitingAcknowledgement, promise: promise, sequence: self.nextSequence
        )
        self.nextSequence &+= 1
    }

    /// PUBREC: the broker has the QoS 2 message; from now on only PUBREL is retransmitted.
    /// Returns false for an identifier that is not a QoS 2 publish in flight.
    mutating func markReceived(_ packetID: UInt16) -> Bool {
        guard var entry = self.inFlight[packetID], entry.packet.qos == .exactlyOnce else { return false }
        entry.stage = .awaitingCompletion
        // The payload is no longer needed; let its buffer go.
        entry.packet.payload = ByteBuffer()
        self.inFlight[packetID] = entry
        return true
    }

    /// PUBACK or PUBCOMP: the exchange is over.
    mutating func complete(_ packetID: UInt16, expecting qos: QoS) -> EventLoopPromise<Void>? {
        guard let entry = self.inFlight[packetID], entry.packet.qos == qos else { return nil }
        if qos == .exactlyOnce && entry.stage != .awaitingCompletion { return nil }
        self.inFlight.removeValue(forKey: packetID)
        return entry.promise
    }

    /// What to send again on a new connection, in publication order: PUBLISH (with DUP when the
    /// broker kept the session) or, after PUBREC, PUBREL. PUBREC transferred the message to the
    /// broker, so PUBREL is right even when the broker has since lost the session (it answers
    /// PUBCOMP for an identifier it does not know).
    func retransmissions(sessionPresent: Bool) -> [MQTTPacket] {
        let ordered = self.inFlight.values.sorted { $0.sequence < $1.sequence }
        return ordered.map { entry in
            if entry.stage == .awaitingCompletion { return .pubrel(packetID: entry.packet.packetID!) }
            var packet = entry.packet
            packet.dup = sessionPresent
            return .publish(packet)
        }
    }

    /// Everything, in flight and waiting, for failing at shutdown or when the session is gone.
    mutating func removeAll(inFlightOnly: Bool) -> [EventLoopPromise<Void>] {
        var promises = self.inFlight.values.sorted { $0.sequence < $1.sequence }.map(\.promise)
        self.inFlight.removeAll(keepingCapacity: true)
        if !inFlightOnly {
            while let waiting = self.waiting.popFirst() { promises.append(waiting.promise) }
        }
        return promises
    }
}
