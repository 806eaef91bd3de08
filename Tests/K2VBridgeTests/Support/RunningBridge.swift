import Kafka
import Logging
import ServiceLifecycle
import ServiceRuntime
import TestSupport

@testable import K2VBridge

/// A bridge running in the test process inside a `ServiceGroup`, so that the test can shut it
/// down gracefully as SIGTERM would.
struct RunningBridge {
    let bridge: K2VBridge
    let readiness: ReadinessState
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static func start(_ configuration: K2VConfiguration) throws -> RunningBridge {
        let readiness = ReadinessState(waitingFor: ["kafka", "mqtt"])
        var logger = Logger(label: "k2v-test")
        logger.logLevel = .warning
        let bridge = try K2VBridge(configuration: configuration, readiness: readiness, logger: logger)
        var quiet = Logger(label: "service-group")
        quiet.logLevel = .critical
        let group = ServiceGroup(configuration: .init(services: [.init(service: bridge)], logger: quiet))
        let task = Task { try await group.run() }
        return RunningBridge(bridge: bridge, readiness: readiness, group: group, task: task)
    }

    var metrics: K2VMetrics { bridge.metrics }

    /// Graceful shutdown, like SIGTERM; waits for `run()` to return.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

extension K2VConfiguration {
    /// A bridge for tests: plain MQTT to 127.0.0.1:`mqttPort`, the mock cluster, a fresh group,
    /// quick rejoin after a member dies.
    static func test(kafka bootstrap: String, mqttPort: Int, group: String = uniqueName("k2v"), extra: [String: String] = [:]) -> K2VConfiguration {
        var properties = [
            "metadata.broker.list": bootstrap, "group.id": group, "session.timeout.ms": "6000",
            "heartbeat.interval.ms": "500", "reconnect.backoff.ms": "100", "reconnect.backoff.max.ms": "500",
        ]
        properties.merge(extra) { _, new in new }
        var configuration = K2VConfiguration(hostname: "k2v-bridge-test", kafka: KafkaConfiguration(properties))
        configuration.mqttHost = "127.0.0.1"
        configuration.mqttPort = mqttPort
        configuration.mqttProtocol = .mqtt
        configuration.commitInterval = .milliseconds(200)
        configuration.kafkaHealthCheckInterval = .seconds(1)
        return configuration
    }
}

/// A configure event for `device` (`tenant:id`) whose attributes carry `seq`.
func configureEvent(device: String, seq: Int) -> String {
    let parts = device.split(separator: ":")
    return "\(device)\t{\"event\":\"configure\",\"meta\":{\"service\":\"\(parts[0])\"},\"data\":{\"id\":\"\(parts[1])\",\"attrs\":{\"seq\":\(seq)}}}"
}
