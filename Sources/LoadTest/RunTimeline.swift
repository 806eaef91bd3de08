import Histogram

/// The run once a second, for the HTML report and the JSON summary: counts since the start, and
/// latency percentiles of the last second only (what a plot over time should show).
public struct RunTimeline: Sendable, Encodable {
    public struct Point: Sendable, Codable, Equatable {
        public var seconds: Double
        public var connected: Int
        public var sent: Int
        public var acknowledged: Int
        public var kafkaMatched: Int?
        /// PUBACK latency of this second, ms; nil when nothing was acknowledged in it.
        public var ackP50: Double?
        public var ackP99: Double?
        public var kafkaP99: Double?
    }

    public private(set) var points: [Point] = []
    private var lastAck = LoadSnapshot.histogram()
    private var lastKafka = LoadSnapshot.histogram()

    public init() {}

    mutating func record(seconds: Double, snapshot: LoadSnapshot, kafka: KafkaTracker.Snapshot?) {
        let ack = Self.since(self.lastAck, snapshot.ackLatency)
        let kafkaInterval = kafka.map { Self.since(self.lastKafka, $0.latency) }
        self.points.append(
            Point(
                seconds: (seconds * 10).rounded() / 10, connected: snapshot.connected, sent: snapshot.sent,
                acknowledged: snapshot.acknowledged, kafkaMatched: kafka?.matched,
                ackP50: Self.milliseconds(ack, 50), ackP99: Self.milliseconds(ack, 99),
                kafkaP99: kafkaInterval.flatMap { Self.milliseconds($0, 99) }
            ))
        self.lastAck = snapshot.ackLatency
        if let kafka { self.lastKafka = kafka.latency }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.points)
    }

    /// What `current` recorded after `earlier` (the same histogram later): the counts of each
    /// value bucket minus the earlier ones.
    static func since(_ earlier: Histogram<UInt64>, _ current: Histogram<UInt64>) -> Histogram<UInt64> {
        var interval = LoadSnapshot.histogram()
        for bucket in current.recordedValues() {
            let before = earlier.countForValue(bucket.value)
            if bucket.count > before { _ = interval.record(bucket.value, count: bucket.count - before) }
        }
        return interval
    }

    private static func milliseconds(_ histogram: Histogram<UInt64>, _ percentile: Double) -> Double? {
        guard histogram.totalCount > 0 else { return nil }
        return (Double(histogram.valueAtPercentile(percentile)) / 10).rounded() / 100
    }
}
