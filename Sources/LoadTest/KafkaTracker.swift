import Histogram
import Kafka
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Consumes `<tenant>.device-data` and matches each record to a device message of this run by
/// the marker in its attrs; device-to-Kafka latency is the record's arrival here minus the
/// send time in the marker (both wall clock).
public final class KafkaTracker: Sendable {
    public struct Snapshot: Sendable {
        /// Distinct device messages of this run seen in Kafka.
        public var matched = 0
        /// Records of this run seen more than once (at-least-once delivery).
        public var duplicates = 0
        /// Records of this run whose Kafka key is not `tenant:device` of the marker's device.
        public var wrongKeys = 0
        public var latency = LoadSnapshot.histogram()
    }

    private struct State {
        var seen = Set<UInt64>()
        var snapshot = Snapshot()
    }

    private let consumer: KafkaConsumer
    private let run: String
    private let expectedKey: @Sendable (Int) -> String
    private let state = NIOLockedValueBox(State())

    /// - Parameter expectedKey: the Kafka key v2k-bridge gives messages of a device index.
    public init(brokers: String, topic: String, run: String, extra: KafkaConfiguration, expectedKey: @escaping @Sendable (Int) -> String, logger: Logger) throws {
        var configuration = KafkaConfiguration([
            "bootstrap.servers": brokers,
            "group.id": "loadtest-\(run)",
            // A fresh group reading from the start misses nothing that arrived before it joined;
            // records of earlier runs are told apart by the run in the marker.
            "auto.offset.reset": "earliest",
            "enable.auto.commit": "false",
            "session.timeout.ms": "6000",
            "heartbeat.interval.ms": "500",
            // Short fetch waits, so that the measured device-to-Kafka latency is the system's,
            // not the consumer's long poll (500 ms by default).
            "fetch.wait.max.ms": "20",
        ])
        for (key, value) in extra.properties { configuration[key] = value }
        self.consumer = try KafkaConsumer(configuration: configuration, topics: [topic], lowWatermark: 1000, highWatermark: 5000, logger: logger)
        self.run = run
        self.expectedKey = expectedKey
    }

    /// Reads records until `close`.
    public func consume() async {
        do {
            for try await record in self.consumer.records {
                self.match(record)
            }
        } catch {
            // The consumer ended with an error; what was matched so far stands.
        }
    }

    private func match(_ record: KafkaRecord) {
        guard let marker = MessageMarker.find(in: record.value, run: self.run) else { return }
        let latency = WallClock.micros(since: marker.sentMicros)
        let keyMatches = record.key.map { String(buffer: $0) } == self.expectedKey(marker.device)
        self.state.withLockedValue { state in
            if !keyMatches { state.snapshot.wrongKeys += 1 }
            if state.seen.insert(marker.key).inserted {
                state.snapshot.matched += 1
                _ = state.snapshot.latency.record(latency)
            } else {
                state.snapshot.duplicates += 1
            }
        }
    }

    public func snapshot() -> Snapshot {
        self.state.withLockedValue { $0.snapshot }
    }

    /// How many of `keys` have not been seen in Kafka.
    public func missingCount(of keys: [UInt64]) -> Int {
        self.state.withLockedValue { state in keys.reduce(0) { $0 + (state.seen.contains($1) ? 0 : 1) } }
    }

    public func close() async {
        await self.consumer.close()
    }
}
