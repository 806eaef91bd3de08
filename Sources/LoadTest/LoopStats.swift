import Histogram
import NIOCore

/// What the simulated clients of one event loop have done. One per loop, touched only on it,
/// so that counting and latency recording never contend; `Snapshot`s are added up at the end.
final class LoopStats {
    var totals = LoadSnapshot()
    /// Keys (`MessageMarker.key`) of acknowledged device messages, kept only when they are
    /// to be found in Kafka.
    var acknowledgedKeys: [UInt64] = []
    var tracksAcknowledgedKeys = false
    /// The devices whose connections are open, so that the run can stop them.
    var openDevices: [ObjectIdentifier: SimulatedDevice] = [:]

    /// Latencies are recorded in microseconds.
    static func micros(since start: UInt64, now: UInt64 = NIODeadline.now().uptimeNanoseconds) -> UInt64 {
        now > start ? (now - start) / 1000 : 0
    }

    var snapshot: LoadSnapshot {
        var snapshot = self.totals
        snapshot.inflight = self.openDevices.values.reduce(0) { $0 + $1.inflightCount }
        return snapshot
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
    /// Publishes still waiting for their acknowledgement.
    public var inflight = 0
    /// Publishes whose connection closed before they were acknowledged.
    public var unacknowledgedAtClose = 0
    /// Publish ticks skipped because the device's in-flight window was full.
    public var skippedTicks = 0
    /// Config messages received by devices that carried a marker of this run.
    public var configReceived = 0
    public var connectLatency = LoadSnapshot.histogram()
    public var ackLatency = LoadSnapshot.histogram()
    public var endToEndLatency = LoadSnapshot.histogram()
    /// PUBACK latency after the connect phase.
    public var steadyAckLatency = LoadSnapshot.histogram()
    /// Configure event produced to Kafka -> config message at the device.
    public var configLatency = LoadSnapshot.histogram()

    public init() {}

    /// Microseconds up to one minute, three significant digits.
    static func histogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }

    mutating func add(_ other: LoadSnapshot) {
        self.connected += other.connected
        self.connectFailures += other.connectFailures
        self.subscribed += other.subscribed
        self.sent += other.sent
        self.acknowledged += other.acknowledged
        self.received += other.received
        self.closedUnexpectedly += other.closedUnexpectedly
        self.inflight += other.inflight
        self.unacknowledgedAtClose += other.unacknowledgedAtClose
        self.configReceived += other.configReceived
        self.skippedTicks += other.skippedTicks
        self.connectLatency.add(other.connectLatency)
        self.ackLatency.add(other.ackLatency)
        self.endToEndLatency.add(other.endToEndLatency)
        self.steadyAckLatency.add(other.steadyAckLatency)
        self.configLatency.add(other.configLatency)
    }
}
