import Histogram
import NIOCore

/// What the simulated clients of one event loop have done. One per loop, touched only on it,
/// so that counting and latency recording never contend; `Snapshot`s are added up at the end.
final class LoopStats {
    var connected = 0
    var connectFailures = 0
    var subscribed = 0
    var sent = 0
    var acknowledged = 0
    var received = 0
    var closedUnexpectedly = 0
    var connectLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var ackLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    var endToEndLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)

    /// Latencies are recorded in microseconds.
    static func micros(since start: UInt64, now: UInt64 = NIODeadline.now().uptimeNanoseconds) -> UInt64 {
        now > start ? (now - start) / 1000 : 0
    }

    var snapshot: LoadSnapshot {
        LoadSnapshot(
            connected: self.connected, connectFailures: self.connectFailures, subscribed: self.subscribed,
            sent: self.sent, acknowledged: self.acknowledged, received: self.received,
            closedUnexpectedly: self.closedUnexpectedly, connectLatency: self.connectLatency,
            ackLatency: self.ackLatency, endToEndLatency: self.endToEndLatency
        )
    }
}

/// The sum of every loop's statistics at one moment.
public struct LoadSnapshot: Sendable {
    public var connected = 0
    public var connectFailures = 0
    public var subscribed = 0
    public var sent = 0
    public var acknowledged = 0
    public var received = 0
    public var closedUnexpectedly = 0
    public var connectLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    public var ackLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    public var endToEndLatency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)

    public init() {}

    init(
        connected: Int, connectFailures: Int, subscribed: Int, sent: Int, acknowledged: Int, received: Int,
        closedUnexpectedly: Int, connectLatency: Histogram<UInt64>, ackLatency: Histogram<UInt64>, endToEndLatency: Histogram<UInt64>
    ) {
        self.connected = connected
        self.connectFailures = connectFailures
        self.subscribed = subscribed
        self.sent = sent
        self.acknowledged = acknowledged
        self.received = received
        self.closedUnexpectedly = closedUnexpectedly
        self.connectLatency = connectLatency
        self.ackLatency = ackLatency
        self.endToEndLatency = endToEndLatency
    }

    mutating func add(_ other: LoadSnapshot) {
        self.connected += other.connected
        self.connectFailures += other.connectFailures
        self.subscribed += other.subscribed
        self.sent += other.sent
        self.acknowledged += other.acknowledged
        self.received += other.received
        self.closedUnexpectedly += other.closedUnexpectedly
        self.connectLatency.add(other.connectLatency)
        self.ackLatency.add(other.ackLatency)
        self.endToEndLatency.add(other.endToEndLatency)
    }
}
