import Foundation
import Kafka
import TestSupport
import Testing

@testable import V2KBridge

/// The device -> Kafka path across a broker SIGKILL, with a data directory and end-to-end
/// acknowledgement: a device's PUBACK means its message is in Kafka, so a crash loses nothing
/// acknowledged; the rest the devices send again, and in the end all of it is in Kafka.
@Suite(.serialized, .timeLimit(.minutes(3))) struct V2KBrokerCrashTests {
    @Test func everyAcknowledgedMessageReachesKafkaAcrossABrokerSIGKILL() async throws {
        let kafka = try KafkaMockCluster()
        let topic = "crash.device-data"
        try kafka.createTopic(topic, partitions: 4)
        let directory = try TemporaryDirectory.make(prefix: "v2k-broker-crash")
        defer { try? FileManager.default.removeItem(at: directory) }
        let broker = try await BrokerChild(dataDirectory: directory.appendingPathComponent("data").path, environment: ["BROKER_MAX_INFLIGHT": "1000"])
        defer { broker.stop() }
        let configuration = V2KConfiguration(mqttHost: "127.0.0.1", mqttPort: broker.port, clientID: "v2k-crash", bootstrapServers: kafka.bootstrapServers)
        try await withBridge(configuration) { bridge in
            try kafka.setAvailable(false)
            var publishers = DevicePublishers(port: broker.port, tenant: "crash", devices: 10, messagesPerDevice: 200)
            publishers.window = 20
            let publishing = Task { [publishers] in try await publishers.run(timeout: .seconds(120)) }
            // Every device's window is with the bridge, which cannot reach Kafka: nothing is acknowledged.
            try await eventually("200 messages held by the bridge", timeout: .seconds(20)) { bridge.delivery.ledger.count >= 200 ? true : nil }
            #expect(bridge.acknowledgedCount == 0)
            try await broker.kill()
            try await broker.start()
            // Published after the restart, before the bridge is back: they wait for its recovered session.
            try await Task.sleep(for: .seconds(1))
            try kafka.setAvailable(true)
            try await publishing.value
            let count = try await waitForDistinctIDs(2000, bootstrap: kafka.bootstrapServers, topic: topic, timeout: .seconds(40))
            print("broker SIGKILL with Kafka away: 2000 sent, in Kafka \(count)")
            #expect(count.distinct == 2000)
        }
    }
}
