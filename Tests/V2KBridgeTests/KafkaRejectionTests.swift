import BrokerTestSupport
import Kafka
import ServiceRuntime
import TestSupport
import Testing

@testable import V2KBridge

/// Messages Kafka refuses for good (here: larger than the producer's `message.max.bytes`) are
/// dead-lettered or acknowledged, never retried forever in a window slot.
@Suite(.serialized, .timeLimit(.minutes(2))) struct KafkaRejectionTests {
    /// 1500 bytes of valid device data: the dojot message, and the raw dead letter, exceed 1000.
    private static let oversized = #"{"blob":""# + String(repeating: "x", count: 1500) + #""}"#

    @Test func aMessageKafkaRejectsIsAcknowledgedAndTheNextOneFlows() async throws {
        try await self.withSmallMessageLimit(deadLetterTopic: nil) { kafka, port, bridge in
            try await publish(port: port, Self.oversized)
            try await publish(port: port, #"{"n":1,"timestamp":7}"#)
            let records = try await eventually("the small record in Kafka", timeout: .seconds(20), every: .milliseconds(300)) {
                let lines = try await Kcat.consume(bootstrap: kafka.bootstrapServers, topic: "admin.device-data", format: "%s\n")
                return lines.isEmpty ? nil : lines
            }
            #expect(records == [#"{"metadata":{"deviceid":"d1","tenant":"admin","timestamp":7},"attrs":{"n":1,"timestamp":7}}"#])
            try await eventually("an empty window") { bridge.delivery.ledger.count == 0 ? true : nil }
        }
    }

    /// The dead letter is refused too (it is as large): acknowledged, not retried forever.
    @Test func aRejectedDeadLetterIsAcknowledgedNotRetriedForever() async throws {
        try await self.withSmallMessageLimit(deadLetterTopic: "v2k-dead-letters") { kafka, port, bridge in
            try await publish(port: port, Self.oversized)
            try await publish(port: port, "not json")
            let letters = try await eventually("the small dead letter", timeout: .seconds(20), every: .milliseconds(300)) {
                let lines = try await Kcat.consume(bootstrap: kafka.bootstrapServers, topic: "v2k-dead-letters", format: "%s\n")
                return lines.isEmpty ? nil : lines
            }
            #expect(letters == ["not json"])
            try await eventually("an empty window", timeout: .seconds(5)) { bridge.delivery.ledger.count == 0 ? true : nil }
        }
    }

    /// A broker, Kafka and a bridge whose producer refuses messages over 1000 bytes.
    private func withSmallMessageLimit(
        deadLetterTopic: String?, _ body: (KafkaMockCluster, _ port: Int, V2KBridge) async throws -> Void
    ) async throws {
        let kafka = try KafkaMockCluster()
        try kafka.createTopic("admin.device-data", partitions: 1)
        try await withTestBroker(limits: { $0.maxInflight = 1000 }) { broker in
            let port = broker.port
            var configuration = V2KConfiguration(mqttHost: "127.0.0.1", mqttPort: port, clientID: "v2k-reject", bootstrapServers: kafka.bootstrapServers)
            configuration.producer["message.max.bytes"] = "1000"
            configuration.deadLetterTopic = deadLetterTopic
            try await withBridge(configuration) { bridge in try await body(kafka, port, bridge) }
        }
    }

    private func publish(port: Int, _ message: String) async throws {
        let output = try await ProcessRunner.run(
            "/usr/bin/mosquitto_pub",
            ["-h", "127.0.0.1", "-p", "\(port)", "-V", "mqttv311", "-q", "1", "-i", "admin:d1", "-u", "admin:d1", "-t", "admin:d1/attrs", "-m", message]
        )
        #expect(output.status == 0, "mosquitto_pub: \(output.standardError)")
    }
}
