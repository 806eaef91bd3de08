import MQTTCore
import NIOCore

/// A publisher's QoS 1/2 PUBLISHes not yet acknowledged to it, in arrival order. MQTT wants
/// PUBACKs (PUBRECs) in the order of the PUBLISHes [MQTT-4.6.0-2], [MQTT-4.6.0-3], so one that
/// is ready waits for the ones before it. No I/O: the connection writes what `popReady` returns.
struct PublisherAckQueue {
    struct Entry: Equatable {
        var packetID: UInt16
        var qos: QoS
        var ready: Bool
    }

    private var entries = LazyCircularBuffer<Entry>()
    /// The sequence number of the first entry.
    private var headSequence: UInt64 = 0

    var count: Int { self.entries.count }
    var isEmpty: Bool { self.entries.isEmpty }
    /// The sequence the next `append` will get.
    var nextSequence: UInt64 { self.headSequence + UInt64(self.count) }

    @discardableResult
    mutating func append(packetID: UInt16, qos: QoS, ready: Bool) -> UInt64 {
        let sequence = self.nextSequence
        self.entries.append(Entry(packetID: packetID, qos: qos, ready: ready))
        return sequence
    }

    mutating func markReady(_ sequence: UInt64) {
        guard sequence >= self.headSequence, sequence < self.nextSequence else { return }
        self.entries[offset: Int(sequence - self.headSequence)].ready = true
    }

    /// The next acknowledgement that may be written now, if any.
    mutating func popReady() -> Entry? {
        guard let first = self.entries.first, first.ready else { return nil }
        self.headSequence += 1
        return self.entries.removeFirst()
    }

    /// A retransmission of a PUBLISH whose acknowledgement is still on its way.
    func isWaiting(packetID: UInt16) -> Bool {
        self.entries.contains { $0.packetID == packetID && !$0.ready }
    }
}
