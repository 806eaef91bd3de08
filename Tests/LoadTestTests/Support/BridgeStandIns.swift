import Foundation
import Kafka
import Logging
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore

/// TEST FIXTURE, not the v2k-bridge: the smallest thing that honours its contract so that the
/// load test's Kafka matching is checked against real Kafka records. It takes
/// `$share/v2k/+/attrs` at QoS 1 and writes `{"metadata":{deviceid,tenant,timestamp},"attrs":...}`
/// to `<tenant>.device-data` with key `tenant:device`, acknowledging after Kafka's delivery
/// report. `dropEvery` > 0 acknowledges every n-th message without producing it (a lossy bridge).
final class V2KStandIn: Sendable {
    private let client: MQTTClient
    private let producer: KafkaProducer
    private let task: NIOLockedValueBox<Task<Void, Never>?> = NIOLockedValueBox(nil)
    let dropped = NIOLockedValueBox(0)

    init(mqttPort: Int, kafka: String, dropEvery: Int = 0) async throws {
        var logger = Logger(label: "v2k-stand-in")
        logger.logLevel = .critical
        self.client = MQTTClient(configuration: MQTTClientConfiguration(host: "127.0.0.1", port: mqttPort, clientID: "v2k-stand-in", inflightWindow: 1000), logger: logger)
        self.producer = try KafkaProducer(configuration: KafkaConfiguration(["bootstrap.servers": kafka, "linger.ms": "1"]), logger: logger) { _, _ in }
        _ = try await self.client.connect()
        _ = try await self.client.subscribe(to: "$share/v2k/+/attrs", qos: .atLeastOnce)
        let client = self.client
        let producer = self.producer
        let dropped = self.dropped
        self.task.withLockedValue {
            $0 = Task {
                var count = 0
                do {
                    for try await message in client.messages {
                        count += 1
                        let identity = message.topic.split(separator: "/").first.map(String.init) ?? ""
                        let parts = identity.split(separator: ":")
                        if dropEvery > 0, count % dropEvery == 0 || parts.count != 2 {
                            dropped.withLockedValue { $0 += 1 }
                            message.acknowledge()
                            continue
                        }
                        let value =
                            #"{"metadata":{"deviceid":"\#(parts[1])","tenant":"\#(parts[0])","timestamp":\#(Int(Date().timeIntervalSince1970 * 1000))},"attrs":\#(String(buffer: message.payload))}"#
                        _ = try await producer.send(topic: "\(parts[0]).device-data", key: Array(identity.utf8), value: Array(value.utf8))
                        message.acknowledge()
                    }
                } catch {}
            }
        }
    }

    func stop() async {
        await self.client.shutdown()
        self.task.withLockedValue { $0?.cancel() }
        await self.producer.shutdown(timeout: .seconds(2))
    }
}

/// TEST FIXTURE, not the k2v-bridge: reads configure events from
/// `<tenant>.dojot.device-manager.device` and publishes `JSON(attrs)` to `tenant:device/config`.
final class K2VStandIn: Sendable {
    private let client: MQTTClient
    private let consumer: KafkaConsumer
    private let task: NIOLockedValueBox<Task<Void, Never>?> = NIOLockedValueBox(nil)

    init(mqttPort: Int, kafka: String, topic: String) async throws {
        var logger = Logger(label: "k2v-stand-in")
        logger.logLevel = .critical
        self.client = MQTTClient(configuration: MQTTClientConfiguration(host: "127.0.0.1", port: mqttPort, clientID: "k2v-stand-in"), logger: logger)
        self.consumer = try KafkaConsumer(
            configuration: KafkaConfiguration([
                "bootstrap.servers": kafka, "group.id": "k2v-stand-in-\(UUID().uuidString)", "auto.offset.reset": "earliest",
                "session.timeout.ms": "6000", "heartbeat.interval.ms": "500",
            ]), topics: [topic], logger: logger)
        _ = try await self.client.connect()
        let client = self.client
        let consumer = self.consumer
        self.task.withLockedValue {
            $0 = Task {
                do {
                    for try await record in consumer.records {
                        guard let event = try? JSONSerialization.jsonObject(with: Data(record.value.readableBytesView)) as? [String: Any],
                            let service = (event["meta"] as? [String: Any])?["service"] as? String,
                            let data = event["data"] as? [String: Any], let id = data["id"] as? String, let attrs = data["attrs"]
                        else { continue }
                        let payload = try JSONSerialization.data(withJSONObject: attrs)
                        try await client.publish(topic: "\(service):\(id)/config", payload: ByteBuffer(bytes: payload), qos: .atLeastOnce)
                    }
                } catch {}
            }
        }
    }

    func stop() async {
        await self.consumer.close()
        self.task.withLockedValue { $0?.cancel() }
        await self.client.shutdown()
    }
}

/// Counts what a broker delivers on `+/attrs`, and how many of those are of a given run.
final class AttrsCounter: Sendable {
    private let client: MQTTClient
    private let task: NIOLockedValueBox<Task<Void, Never>?> = NIOLockedValueBox(nil)
    private let keys = NIOLockedValueBox(Set<UInt64>())

    init(port: Int) async throws {
        self.client = MQTTClient(
            configuration: MQTTClientConfiguration(host: "127.0.0.1", port: port, clientID: "attrs-counter", automaticAcknowledgement: true, inboundBuffer: (1000, 5000)))
        _ = try await self.client.connect()
        _ = try await self.client.subscribe(to: "+/attrs", qos: .atLeastOnce)
        let client = self.client
        let keys = self.keys
        self.task.withLockedValue {
            $0 = Task {
                for await message in client.messages {
                    // Any run: a test runs one load test against its own broker.
                    var payload = message.payload
                    if let text = payload.readString(length: payload.readableBytes), let range = text.range(of: #""lt":""#) {
                        let fields = text[range.upperBound...].prefix { $0 != "\"" }.split(separator: ".")
                        if fields.count == 4, let device = UInt32(fields[1]), let sequence = UInt32(fields[2]) {
                            _ = keys.withLockedValue { $0.insert(UInt64(device) << 32 | UInt64(sequence)) }
                        }
                    }
                }
            }
        }
    }

    /// Distinct device messages received.
    var count: Int { self.keys.withLockedValue { $0.count } }

    func stop() async {
        await self.client.shutdown()
        self.task.withLockedValue { $0?.cancel() }
    }
}
