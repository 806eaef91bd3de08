import BrokerTestSupport
import Foundation
import Kafka
import MQTTAuthorization
import MQTTCore
import NIOCore
import ServiceRuntime
import TestSupport
import Testing

@testable import V2KBridge

/// mosquitto_pub -> our broker -> v2k-bridge -> Kafka (mock cluster) -> kcat.
/// Serialized with the no-loss tests: they share two cores.
@Suite(.serialized, .timeLimit(.minutes(2))) struct V2KIntegrationTests {
    @Test func mosquittoPublishReachesKafkaAsTheDojotMessage() async throws {
        let kafka = try KafkaMockCluster()
        try kafka.createTopic("admin.device-data", partitions: 2)
        try await withTestBroker(limits: { $0.maxInflight = 1000 }) { broker in
            let port = broker.port
            var configuration = V2KConfiguration(mqttHost: "127.0.0.1", mqttPort: port, clientID: "v2k-e2e", bootstrapServers: kafka.bootstrapServers)
            configuration.deadLetterTopic = "v2k-dead-letters"
            try await withBridge(configuration) { _ in
                let payload = #"{"temperature":21,"timestamp":"2021-03-19T18:53:20.250-03:00"}"#
                try await mosquittoPublish(port: port, identity: "admin:a1998e", topic: "admin:a1998e/attrs", message: payload)
                let records = try await eventually("the record in Kafka", timeout: .seconds(20), every: .milliseconds(300)) {
                    let lines = try await Kcat.consume(bootstrap: kafka.bootstrapServers, topic: "admin.device-data", format: "%t|%k|%s\n")
                    return lines.isEmpty ? nil : lines
                }
                #expect(
                    records == [
                        #"admin.device-data|admin:a1998e|{"metadata":{"deviceid":"a1998e","tenant":"admin","timestamp":1616190800250},"attrs":{"temperature":21,"timestamp":"2021-03-19T18:53:20.250-03:00"}}"#
                    ])
            }
        }
    }

    /// dojot mode over mutual TLS: the device and the bridge are known by their certificates.
    @Test func mutualTLSInDojotMode() async throws {
        let certificates = try TestCertificates(clients: ["device": "admin:dev1", "v2k": "v2k-bridge-test"])
        defer { certificates.remove() }
        let kafka = try KafkaMockCluster()
        try await withTestBroker(
            tls: certificates.brokerTLS, plain: false, limits: { $0.maxInflight = 1000 }, configure: { $0.authorization = .dojot },
            authorizer: DojotAuthorizer()
        ) { broker in
            let port = broker.port
            var configuration = V2KConfiguration(mqttHost: "127.0.0.1", mqttPort: port, clientID: "v2k-bridge-test", bootstrapServers: kafka.bootstrapServers)
            configuration.mqttProtocol = .mqtts
            configuration.tls = .init(ca: certificates.path("ca.crt"), certificate: certificates.path("v2k.crt"), key: certificates.path("v2k.key"))
            try await withBridge(configuration) { _ in
                let output = try await ProcessRunner.run(
                    "/usr/bin/mosquitto_pub",
                    [
                        "-h", "127.0.0.1", "-p", "\(port)", "-q", "1", "-i", "admin:dev1", "-t", "admin:dev1/attrs", "-m", #"{"tls":true,"timestamp":5}"#,
                        "--cafile", certificates.path("ca.crt"), "--cert", certificates.path("device.crt"), "--key", certificates.path("device.key"),
                    ])
                #expect(output.status == 0, "mosquitto_pub: \(output.standardError)")
                let records = try await eventually("the record in Kafka", timeout: .seconds(20), every: .milliseconds(300)) {
                    let lines = try await Kcat.consume(bootstrap: kafka.bootstrapServers, topic: "admin.device-data", format: "%k\t%s\n")
                    return lines.isEmpty ? nil : lines
                }
                #expect(records == ["admin:dev1\t" + #"{"metadata":{"deviceid":"dev1","tenant":"admin","timestamp":5},"attrs":{"tls":true,"timestamp":5}}"#])
            }
        }
    }

    @Test func invalidMessagesAreAcknowledgedAndDeadLettered() async throws {
        let kafka = try KafkaMockCluster()
        try await withTestBroker(limits: { $0.maxInflight = 1000 }) { broker in
            let port = broker.port
            var configuration = V2KConfiguration(mqttHost: "127.0.0.1", mqttPort: port, clientID: "v2k-dlt", bootstrapServers: kafka.bootstrapServers)
            configuration.deadLetterTopic = "v2k-dead-letters"
            configuration.subscriptionTopic = "$share/group/#"
            try await withBridge(configuration) { bridge in
                try await mosquittoPublish(port: port, identity: "admin:d1", topic: "admin:d1/attrs", message: "error format")
                try await mosquittoPublish(port: port, identity: "admin:d1", topic: "admin:d1/attrs", message: "[1,2]")
                try await mosquittoPublish(port: port, identity: "admin:d1", topic: "admin/attrs", message: #"{"a":1}"#)
                // JSON a strict reader refuses; passed into Kafka, readers would disagree on it.
                let strict = [#"{"t":1,"t":2}"#, #"{"s":"\ud800"}"#, #"{"n":1e400}"#]
                for message in strict {
                    try await mosquittoPublish(port: port, identity: "admin:d1", topic: "admin:d1/attrs", message: message)
                }
                let lines = try await eventually("6 dead letters", timeout: .seconds(20), every: .milliseconds(300)) {
                    let lines = try await Kcat.consume(bootstrap: kafka.bootstrapServers, topic: "v2k-dead-letters", format: "%k\t%s\n")
                    return lines.count >= 6 ? lines : nil
                }
                #expect(Set(lines) == Set(["admin:d1/attrs\terror format", "admin:d1/attrs\t[1,2]", "admin/attrs\t{\"a\":1}"] + strict.map { "admin:d1/attrs\t\($0)" }))
                // All three were acknowledged: nothing is left in the window.
                try await eventually("an empty window") { bridge.delivery.ledger.count == 0 ? true : nil }
                let page = String(decoding: MetricsBootstrap.render(), as: UTF8.self)
                #expect(metricValue("v2k_messages_dead_lettered_total", in: page) >= 6)
                #expect(metricValue("v2k_messages_invalid_total", in: page) >= 6)
            }
        }
    }

    private func mosquittoPublish(port: Int, identity: String, topic: String, message: String) async throws {
        let output = try await ProcessRunner.run(
            "/usr/bin/mosquitto_pub",
            [
                "-h", "127.0.0.1", "-p", "\(port)", "-V", "mqttv311", "-q", "1", "-i", identity, "-u", identity, "-t", topic, "-m", message,
            ])
        #expect(output.status == 0, "mosquitto_pub: \(output.standardError)")
    }

    /// SIGTERM while Kafka is away: the bridge stops within its drain and flush bounds without
    /// acknowledging; the broker keeps the messages and delivers them after the restart.
    @Test func gracefulShutdownLeavesUndeliveredMessagesWithTheBroker() async throws {
        let kafka = try KafkaMockCluster()
        let topic = "drain.device-data"
        try kafka.createTopic(topic, partitions: 2)
        try await withTestBroker(limits: { $0.maxInflight = 1000 }) { broker in
            let port = broker.port
            var configuration = V2KConfiguration(mqttHost: "127.0.0.1", mqttPort: port, clientID: "v2k-drain", bootstrapServers: kafka.bootstrapServers)
            configuration.drainTimeout = .seconds(1)
            configuration.flushTimeout = .seconds(1)
            var stopping = ContinuousClock.now
            try await withBridge(configuration) { bridge in
                try kafka.setAvailable(false)
                // Kafka is away, so the broker's end-to-end acknowledgement holds the devices' PUBACKs.
                var publishers = DevicePublishers(port: port, tenant: "drain", devices: 1, messagesPerDevice: 100)
                publishers.window = 100
                publishers.awaitAcknowledgements = false
                try await publishers.run(timeout: .seconds(20))
                try await eventually("100 messages in flight") { bridge.delivery.ledger.count == 100 ? true : nil }
                #expect(bridge.acknowledgedCount == 0)
                stopping = ContinuousClock.now
            }
            let stopTime = ContinuousClock.now - stopping
            #expect(stopTime < .seconds(8), "stopped in \(stopTime)")
            try kafka.setAvailable(true)
            try await withBridge(configuration) { bridge in
                try await eventually("100 acknowledgements after the restart", timeout: .seconds(30)) { bridge.acknowledgedCount >= 100 ? true : nil }
            }
            let count = try await KafkaIDCount.read(bootstrap: kafka.bootstrapServers, topic: topic)
            print("graceful shutdown during an outage: stopped in \(stopTime); after the restart Kafka has \(count)")
            #expect(count.distinct == 100)
        }
    }

    /// A fatal producer error ends `run()` with the error, and nothing more is acknowledged.
    @Test func fatalKafkaErrorEndsTheBridgeWithoutAcknowledging() async throws {
        let kafka = try KafkaMockCluster()
        try await withTestBroker(limits: { $0.maxInflight = 1000 }) { broker in
            let port = broker.port
            let configuration = V2KConfiguration(mqttHost: "127.0.0.1", mqttPort: port, clientID: "v2k-fatal", bootstrapServers: kafka.bootstrapServers)
            let readiness = ReadinessState(waitingFor: V2KBridge.readinessParts)
            let bridge = try V2KBridge(configuration: configuration, readiness: readiness, logger: testLogger)
            let running = Task { try await bridge.run() }
            try await eventually("the bridge to subscribe") { readiness.waiting.contains("mqtt") ? nil : true }
            try kafka.setAvailable(false)
            var publishers = DevicePublishers(port: port, tenant: "fatal", devices: 1, messagesPerDevice: 20)
            publishers.awaitAcknowledgements = false  // held by the broker until Kafka has them
            try await publishers.run(timeout: .seconds(20))
            try await eventually("20 messages in flight") { bridge.delivery.ledger.count == 20 ? true : nil }
            bridge.delivery.reportFatal(KafkaError(code: .fatal, message: "injected by the test", isFatal: true))
            try kafka.setAvailable(true)
            await #expect(throws: V2KBridgeError.self) { try await running.value }
            #expect(bridge.acknowledgedCount == 0)
        }
    }

    // MARK: No loss

    /// 20 000 QoS 1 messages from 20 devices while Kafka goes away for 5 s and comes back.
    @Test func noMessageLostWhileKafkaIsAway() async throws {
        let kafka = try KafkaMockCluster()
        let topic = "noloss.device-data"
        try kafka.createTopic(topic, partitions: 8)
        try await withTestBroker(limits: { $0.maxInflight = 1000 }) { broker in
            let port = broker.port
            let configuration = V2KConfiguration(mqttHost: "127.0.0.1", mqttPort: port, clientID: "v2k-outage", bootstrapServers: kafka.bootstrapServers)
            try await withBridge(configuration) { bridge in
                let publishers = DevicePublishers(port: port, tenant: "noloss", devices: 20, messagesPerDevice: 1000)
                let outage = Task {
                    try await Task.sleep(for: .milliseconds(700))
                    try kafka.setAvailable(false)
                    let acknowledgedAtStart = bridge.acknowledgedCount
                    try await Task.sleep(for: .seconds(5))
                    let acknowledgedAtEnd = bridge.acknowledgedCount
                    try kafka.setAvailable(true)
                    return (acknowledgedAtStart, acknowledgedAtEnd)
                }
                let started = ContinuousClock.now
                try await publishers.run(timeout: .seconds(60))
                let (before, after) = try await outage.value
                let count = try await waitForDistinctIDs(20000, bootstrap: kafka.bootstrapServers, topic: topic, timeout: .seconds(40))
                print(
                    "no loss, Kafka outage: sent 20000, in Kafka \(count); acknowledged during the 5 s outage: \(after - before) (from \(before)); \(ContinuousClock.now - started)"
                )
                #expect(count.distinct == 20000)
                try await eventually("an empty window") { bridge.delivery.ledger.count == 0 ? true : nil }
            }
        }
    }

    /// 20 000 QoS 1 messages, two `v2k-bridge` processes, one killed with SIGKILL mid-stream.
    @Test func noMessageLostWhenAReplicaIsKilled() async throws {
        let executable = try BuiltProducts.path("v2k-bridge")
        let kafka = try KafkaMockCluster()
        let topic = "replicas.device-data"
        try kafka.createTopic(topic, partitions: 8)
        try await withTestBroker(limits: { $0.maxInflight = 1000 }) { broker in
            let port = broker.port
            let httpPorts = [try await FreePort.find(), try await FreePort.find()]
            func replica(_ n: Int) async throws -> ChildProcess {
                try await ChildProcess.spawn(
                    executable,
                    environment: [
                        "V2K_APP_HOSTNAME": "v2k-replica-\(n)", "V2K_MQTT_PROTOCOL": "mqtt", "V2K_MQTT_HOST": "127.0.0.1",
                        "V2K_MQTT_PORT": "\(port)", "V2K_PRODUCER_METADATA_BROKER_LIST": kafka.bootstrapServers,
                        "V2K_HTTP_BIND": "127.0.0.1", "V2K_HTTP_PORT": "\(httpPorts[n])", "LOG_LEVEL": "warning",
                    ], logFile: ChildProcess.temporaryLogFile("v2k-replica-\(n)"))
            }
            let replicas = [try await replica(0), try await replica(1)]
            defer { for replica in replicas { replica.kill() } }
            for n in 0..<2 {
                try await eventually("replica \(n) ready", timeout: .seconds(20), every: .milliseconds(200)) {
                    let output = try? await ProcessRunner.run(
                        "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(httpPorts[n])/ready"], timeout: .seconds(5))
                    return output?.standardOutput == "200" ? true : nil
                }
            }
            let publishers = DevicePublishers(port: port, tenant: "replicas", devices: 20, messagesPerDevice: 1000)
            let killer = Task {
                // Kill replica 0 once it has forwarded a few thousand messages.
                var last: Double = 0
                let deadline = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < deadline {
                    if let page = await scrapeMetrics(port: httpPorts[0]) {
                        last = metricValue("v2k_messages_produced_total", in: page)
                        if last >= 4000 { break }
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                replicas[0].signal(SIGKILL)
                let other = await scrapeMetrics(port: httpPorts[1]).map { metricValue("v2k_messages_produced_total", in: $0) } ?? 0
                return (last, other)
            }
            try await publishers.run(timeout: .seconds(60))
            let (producedByKilled, survivorAtKill) = try await killer.value
            let count = try await waitForDistinctIDs(20000, bootstrap: kafka.bootstrapServers, topic: topic, timeout: .seconds(40))
            if count.distinct < 20000 {
                print("survivor metrics:\n\(await scrapeMetrics(port: httpPorts[1]) ?? "none")\nsurvivor log:\n\(replicas[1].log.suffix(3000))")
            }
            let survivor = await scrapeMetrics(port: httpPorts[1]).map { metricValue("v2k_messages_produced_total", in: $0) } ?? 0
            print(
                "no loss, replica killed: sent 20000, in Kafka \(count); replica 0 produced >= \(Int(producedByKilled)) before SIGKILL (replica 1 then: \(Int(survivorAtKill))), replica 1 produced \(Int(survivor)) in all"
            )
            #expect(count.distinct == 20000)
            #expect(producedByKilled >= 2000)
            #expect(survivorAtKill >= 2000)
            #expect(survivor >= 2000)
            // The survivor stops gracefully on SIGTERM.
            replicas[1].signal(SIGTERM)
            #expect(try await replicas[1].wait(timeout: .seconds(20)) == 0)
        }
    }
}
