import Kafka
import Logging
import NIOConcurrencyHelpers

/// Produces dojot device-manager `configure` events to `<tenant>.dojot.device-manager.device`,
/// one per device and round, whose attrs carry a marker; k2v-bridge turns each into a message
/// on `tenant:device/config`, where the device measures the round trip.
public final class ConfigEventProducer: Sendable {
    public struct Counts: Sendable {
        public var produced = 0
        public var delivered = 0
        public var failed = 0
    }

    private let producer: KafkaProducer
    private let topic: String
    private let tenant: String
    private let format: PayloadFormat
    private let counts: NIOLockedValueBox<Counts>

    public init(brokers: String, tenant: String, topic: String, format: PayloadFormat, extra: KafkaConfiguration, logger: Logger) throws {
        var configuration = KafkaConfiguration(["bootstrap.servers": brokers, "linger.ms": "5"])
        for (key, value) in extra.properties { configuration[key] = value }
        let counts = NIOLockedValueBox(Counts())
        self.producer = try KafkaProducer(configuration: configuration, logger: logger) { _, result in
            counts.withLockedValue { counts in
                switch result {
                case .success: counts.delivered += 1
                case .failure: counts.failed += 1
                }
            }
        }
        self.counts = counts
        self.topic = topic
        self.tenant = tenant
        self.format = format
    }

    public func produce(device index: Int, id: String, round: UInt32) {
        let now = WallClock.now()
        let marker = self.format.marker(device: index, sequence: round, sentMicros: now.microseconds)
        let value = #"{"event":"configure","meta":{"service":"\#(tenant)"},"data":{"id":"\#(id)","attrs":{"timestamp":\#(now.milliseconds),"lt":"\#(marker)"}}}"#
        do {
            try self.producer.produce(topic: self.topic, key: Array("\(tenant):\(id)".utf8), value: Array(value.utf8), token: 0)
            self.counts.withLockedValue { $0.produced += 1 }
        } catch {
            self.counts.withLockedValue { $0.failed += 1 }
        }
    }

    public var counted: Counts { self.counts.withLockedValue { $0 } }

    public func shutdown() async {
        await self.producer.shutdown(timeout: .seconds(5))
    }
}
