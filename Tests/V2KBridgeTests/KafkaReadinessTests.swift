import BrokerTestSupport
import Kafka
import ServiceRuntime
import TestSupport
import Testing

@testable import V2KBridge

/// `/ready` follows Kafka: a metadata request answered (the same probe k2v-bridge uses).
@Suite(.timeLimit(.minutes(1))) struct KafkaReadinessTests {
    @Test func readinessFollowsKafkaGoingAwayAndComingBack() async throws {
        let kafka = try KafkaMockCluster()
        try await withTestBroker(limits: { $0.maxInflight = 1000 }) { broker in
            let port = broker.port
            var configuration = V2KConfiguration(mqttHost: "127.0.0.1", mqttPort: port, clientID: "v2k-ready", bootstrapServers: kafka.bootstrapServers)
            configuration.kafkaHealthInterval = .milliseconds(200)
            let readiness = ReadinessState(waitingFor: V2KBridge.readinessParts)
            try await withBridge(configuration, readiness: readiness) { _ in
                try await eventually("ready", timeout: .seconds(10)) { readiness.isReady ? true : nil }
                try kafka.setAvailable(false)
                try await eventually("kafka not ready", timeout: .seconds(15)) { readiness.waiting == ["kafka"] ? true : nil }
                try kafka.setAvailable(true)
                try await eventually("ready again", timeout: .seconds(15)) { readiness.isReady ? true : nil }
            }
        }
    }
}
