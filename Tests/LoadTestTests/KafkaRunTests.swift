import BrokerTestSupport
import Foundation
import Kafka
import LoadTest
import TestSupport
import Testing

/// The Kafka side: device messages matched in `<tenant>.device-data` through a v2k stand-in,
/// config round trips through a k2v stand-in, and lost messages failing the run.
@Suite(.serialized, .timeLimit(.minutes(2))) struct KafkaRunTests {
    @Test func everyAcknowledgedMessageIsMatchedInKafkaAndConfigRoundTrips() async throws {
        let cluster = try KafkaMockCluster()
        try await withTestBroker { broker in
            let v2k = try await V2KStandIn(mqttPort: broker.port, kafka: cluster.bootstrapServers)
            var configuration = shortRun(port: broker.port, devices: 10, messages: 0)
            configuration.messagesPerDevice = nil
            configuration.duration = .seconds(4)
            configuration.publishInterval = .milliseconds(250)
            configuration.kafkaBrokers = cluster.bootstrapServers
            configuration.configInterval = .seconds(1)
            let k2v = try await K2VStandIn(mqttPort: broker.port, kafka: cluster.bootstrapServers, topic: configuration.configTopic)
            let summary = try await DeviceRun(configuration: configuration, logger: quietLogger).run()
            await v2k.stop()
            await k2v.stop()
            let kafka = try #require(summary.kafka)
            #expect(summary.publish.sent > 100)
            #expect(summary.publish.acknowledged == summary.publish.sent)
            #expect(kafka.expected == summary.publish.acknowledged)
            #expect(kafka.matched == kafka.expected)
            #expect(kafka.lost == 0 && kafka.wrongKeys == 0)
            #expect(kafka.latency.count == kafka.matched)
            let config = try #require(summary.config)
            #expect(config.produced >= 20 && config.delivered == config.produced)
            #expect(config.received == config.delivered && config.lost == 0)
            #expect(summary.passed, "\(summary.failures)")
        }
    }

    @Test func lostMessagesMakeTheExecutableExitNonZero() async throws {
        let cluster = try KafkaMockCluster()
        try await withTestBroker { broker in
            let v2k = try await V2KStandIn(mqttPort: broker.port, kafka: cluster.bootstrapServers, dropEvery: 4)
            let directory = try TemporaryDirectory.make(prefix: "loadtest-lost")
            defer { try? FileManager.default.removeItem(at: directory) }
            let summaryPath = directory.appendingPathComponent("summary.json").path
            let child = try await ChildProcess.spawn(
                try BuiltProducts.path("loadtest"),
                [
                    "run", "--port", "\(broker.port)", "--devices", "8", "--messages", "5", "--interval-ms", "100",
                    "--kafka-brokers", cluster.bootstrapServers, "--kafka-warmup", "1", "--grace", "4", "--summary", summaryPath,
                ], environment: ["LOADTEST_PROGRESS": "false"], logFile: directory.appendingPathComponent("out.txt").path)
            let status = try await child.wait(timeout: .seconds(60))
            await v2k.stop()
            #expect(status == 1)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summaryPath))) as? [String: Any])
            let kafka = try #require(json["kafka"] as? [String: Any])
            #expect(kafka["lost"] as? Int == 10)
            #expect(kafka["matched"] as? Int == 30)
            #expect(json["passed"] as? Bool == false)
            let output = try String(contentsOf: directory.appendingPathComponent("out.txt"), encoding: .utf8)
            #expect(output.contains("FAILED: 10 acknowledged message(s) never reached Kafka"))
        }
    }
}
