import MQTTCore

/// Outgoing QoS 1/2 messages awaiting acknowledgement, in send order (for retransmission).
struct InflightWindow {
    enum Stage { case awaitingPubAck, awaitingPubRec, awaitingPubComp }

    struct Entry {
        var packetID: UInt16
        var message: OutboundMessage
        var stage: Stage
    }

    private(set) var entries: [Entry] = []
    private var nextPacketID: UInt16 = 1

    var count: Int { self.entries.count }

    /// Adds a message under a fresh packet id, never one still in flight.
    mutating func add(_ message: OutboundMessage) -> UInt16 {
        var id = self.nextPacketID
        while self.entries.contains(where: { $0.packetID == id }) { id = id == .max ? 1 : id + 1 }
        self.nextPacketID = id == .max ? 1 : id + 1
        self.entries.append(Entry(packetID: id, message: message, stage: message.qos == .exactlyOnce ? .awaitingPubRec : .awaitingPubAck))
        return id
    }

    /// Acknowledgements almost always arrive in order, so the search starts at the front.
    private func index(of id: UInt16, in stage: Stage) -> Int? {
        self.entries.firstIndex { $0.packetID == id && $0.stage == stage }
    }

    mutating func acknowledge(_ id: UInt16, stage: Stage) -> Entry? {
        guard let index = self.index(of: id, in: stage) else { return nil }
        return self.entries.remove(at: index)
    }

    /// PUBREC moves a QoS 2 message to its second stage.
    mutating func received(_ id: UInt16) -> Bool {
        guard let index = self.index(of: id, in: .awaitingPubRec) else {
            return self.entries.contains { $0.packetID == id && $0.stage == .awaitingPubComp }
        }
        self.entries[index].stage = .awaitingPubComp
        return true
    }

    /// Takes out the messages that came through shared subscriptions (they go to another member
    /// when this session goes away); QoS 2 messages already past PUBREC stay, their delivery is done.
    mutating func removeShared() -> [OutboundMessage] {
        var taken: [OutboundMessage] = []
        self.entries.removeAll { entry in
            guard entry.message.sharedGroup != nil, entry.stage != .awaitingPubComp else { return false }
            taken.append(entry.message)
            return true
        }
        return taken
    }

    mutating func removeAll() -> [OutboundMessage] {
        defer { self.entries.removeAll() }
        return self.entries.map(\.message)
    }
}
