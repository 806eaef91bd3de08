import MQTTCore
import NIOCore

/// Outgoing QoS 1/2 messages awaiting acknowledgement, in send order (for retransmission).
///
/// Windows can be thousands of messages (a v2k-bridge's), and their acknowledgements arrive out
/// of order (Kafka confirms partition by partition), so every step is O(1): an id -> sequence map
/// finds an entry, an acknowledged entry becomes a hole, and holes are dropped from the front.
struct InflightWindow {
    enum Stage { case awaitingPubAck, awaitingPubRec, awaitingPubComp }

    struct Entry {
        var packetID: UInt16
        var message: OutboundMessage
        var stage: Stage
    }

    /// In send order; nil where an entry was acknowledged.
    private var slots = LazyCircularBuffer<Entry?>()
    /// Sequence number of `slots.first`.
    private var frontSequence = 0
    /// Packet id -> sequence number of its entry.
    private var sequences: [UInt16: Int] = [:]
    private var nextPacketID: UInt16 = 1

    var count: Int { self.sequences.count }

    /// The entries in flight, in send order (for retransmission after a reconnect).
    var entries: [Entry] { self.slots.compactMap { $0 } }

    /// Adds a message under a fresh packet id, never one still in flight.
    mutating func add(_ message: consuming OutboundMessage) -> UInt16 {
        let id = self.takePacketID()
        self.add(message, packetID: id)
        return id
    }

    /// A packet id not in flight, for the message `add(_:packetID:)` adds next (the PUBLISH is
    /// written before the message moves into the window).
    mutating func takePacketID() -> UInt16 {
        var id = self.nextPacketID
        while self.sequences[id] != nil { id = id == .max ? 1 : id + 1 }
        self.nextPacketID = id == .max ? 1 : id + 1
        return id
    }

    mutating func add(_ message: consuming OutboundMessage, packetID: UInt16) {
        let stage: Stage = message.qos == .exactlyOnce ? .awaitingPubRec : .awaitingPubAck
        self.append(Entry(packetID: packetID, message: message, stage: stage))
    }

    private mutating func append(_ entry: Entry) {
        self.sequences[entry.packetID] = self.frontSequence + self.slots.count
        self.slots.append(entry)
    }

    /// Puts back a message that was in flight before a restart, under its packet id.
    mutating func restore(_ message: OutboundMessage, packetID: UInt16, stage: Stage) {
        guard self.sequences[packetID] == nil else { return }
        self.append(Entry(packetID: packetID, message: message, stage: stage))
        if packetID >= self.nextPacketID { self.nextPacketID = packetID == .max ? 1 : packetID + 1 }
    }

    private func slotOffset(of id: UInt16) -> Int? {
        guard let sequence = self.sequences[id] else { return nil }
        return sequence - self.frontSequence
    }

    mutating func acknowledge(_ id: UInt16, stage: Stage) -> Entry? {
        guard let offset = self.slotOffset(of: id) else { return nil }
        // Moved out of its slot, not copied.
        let taken: Entry? = self.slots.withElement(offset: offset) { slot in slot?.stage == stage ? slot.take() : nil }
        guard let entry = taken else { return nil }
        self.sequences[id] = nil
        while self.slots.withFirst({ $0 == nil }) == true {
            self.slots.removeFirst()
            self.frontSequence += 1
        }
        return entry
    }

    /// PUBREC moves a QoS 2 message to its second stage.
    /// - Returns: whether the id is in flight (in either stage), and the message when this PUBREC
    ///   is its first (the member has it then).
    mutating func received(_ id: UInt16) -> (inFlight: Bool, firstReceipt: OutboundMessage?) {
        guard let offset = self.slotOffset(of: id), let entry = self.slots[offset: offset] else { return (false, nil) }
        guard entry.stage == .awaitingPubRec else { return (true, nil) }
        self.slots[offset: offset]?.stage = .awaitingPubComp
        return (true, entry.message)
    }

    /// Takes out the messages that came through shared subscriptions (they go to another member
    /// when this session goes away); QoS 2 messages already past PUBREC stay, their delivery is done.
    mutating func removeShared() -> [OutboundMessage] {
        var taken: [OutboundMessage] = []
        let remaining = self.entries.filter { entry in
            guard entry.message.sharedGroup != nil, entry.stage != .awaitingPubComp else { return true }
            taken.append(entry.message)
            return false
        }
        self.rebuild(remaining)
        return taken
    }

    mutating func removeAll() -> [OutboundMessage] {
        let messages = self.entries.map(\.message)
        self.rebuild([])
        return messages
    }

    private mutating func rebuild(_ entries: [Entry]) {
        self.slots.removeAll()
        self.sequences = [:]
        self.frontSequence = 0
        for entry in entries {
            self.sequences[entry.packetID] = self.slots.count
            self.slots.append(entry)
        }
    }
}
