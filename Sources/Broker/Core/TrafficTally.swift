import MQTTCore

/// One event loop's traffic since its last flush, in plain integers touched only on that loop.
/// `LoopRouter.flush` adds them to the shared counters once per batch of work: one atomic add per
/// counter and batch instead of several per message, on counters both loops would otherwise
/// contend for.
struct TrafficTally {
    /// Indexed by packet type (0: invalid) and by QoS, as BrokerMetrics' counters are.
    var packetsIn = [Int](repeating: 0, count: 16)
    var packetsOut = [Int](repeating: 0, count: 16)
    var messagesIn = [Int](repeating: 0, count: 3)
    var messagesOut = [Int](repeating: 0, count: 3)
    var bytesIn = 0
    var bytesOut = 0
    /// Whether anything was counted since the last flush.
    var isEmpty = true

    mutating func packetIn(_ type: PacketType) {
        self.packetsIn[Int(type.rawValue)] &+= 1
        self.isEmpty = false
    }

    mutating func packetOut(_ type: PacketType) {
        self.packetsOut[Int(type.rawValue)] &+= 1
        self.isEmpty = false
    }

    mutating func messageIn(_ qos: QoS) {
        self.messagesIn[Int(qos.rawValue)] &+= 1
        self.isEmpty = false
    }

    mutating func messageOut(_ qos: QoS) {
        self.messagesOut[Int(qos.rawValue)] &+= 1
        self.isEmpty = false
    }

    mutating func received(bytes: Int) {
        self.bytesIn &+= bytes
        self.isEmpty = false
    }

    mutating func sent(bytes: Int) {
        self.bytesOut &+= bytes
        self.isEmpty = false
    }
}
