import MQTTCore

/// One event loop's traffic since its last flush, in plain integers touched only on that loop.
/// `LoopRouter.flush` adds them to the shared counters once per batch of work: one atomic add per
/// counter and batch instead of several per message, on counters both loops would otherwise
/// contend for.
struct TrafficTally {
    /// Indexed by packet type (0: invalid) and by QoS, as BrokerMetrics' counters are.
    var packetsIn = CountsByIndex(size: 16)
    var packetsOut = CountsByIndex(size: 16)
    var messagesIn = CountsByIndex(size: 3)
    var messagesOut = CountsByIndex(size: 3)
    var bytesIn = 0
    var bytesOut = 0

    var isEmpty: Bool {
        self.packetsIn.isEmpty && self.packetsOut.isEmpty && self.messagesIn.isEmpty && self.messagesOut.isEmpty
            && self.bytesIn == 0 && self.bytesOut == 0
    }

    mutating func packetIn(_ type: PacketType) { self.packetsIn.add(Int(type.rawValue)) }
    mutating func packetOut(_ type: PacketType) { self.packetsOut.add(Int(type.rawValue)) }
    mutating func messageIn(_ qos: QoS) { self.messagesIn.add(Int(qos.rawValue)) }
    mutating func messageOut(_ qos: QoS) { self.messagesOut.add(Int(qos.rawValue)) }
    mutating func received(bytes: Int) { self.bytesIn &+= bytes }
    mutating func sent(bytes: Int) { self.bytesOut &+= bytes }
}

/// Counts for up to 32 indexes, with a mask of the ones counted since the last drain, so that a
/// flush visits only those.
struct CountsByIndex {
    private var counts: [Int]
    private var touched: UInt32 = 0

    init(size: Int) {
        precondition(size <= 32)
        self.counts = [Int](repeating: 0, count: size)
    }

    var isEmpty: Bool { self.touched == 0 }

    mutating func add(_ index: Int) {
        self.counts[index] &+= 1
        self.touched |= 1 << UInt32(index)
    }

    /// Calls `body` with each counted index and its count, and zeroes them.
    mutating func drain(_ body: (Int, Int) -> Void) {
        var mask = self.touched
        self.touched = 0
        while mask != 0 {
            let index = mask.trailingZeroBitCount
            mask &= mask - 1
            body(index, self.counts[index])
            self.counts[index] = 0
        }
    }
}
