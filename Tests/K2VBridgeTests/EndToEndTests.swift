import BrokerTestSupport
import Kafka
import MQTTAuthorization
import NIOPosix
import TestSupport
import Testing

@testable import K2VBridge

@Suite(.timeLimit(.minutes(1))) struct EndToEndTests {
    /// kcat -> mock Kafka -> k2v-bridge (mutual TLS, dojot authorization) -> our broker -> mosquitto_sub.
    @Test func configureEventReachesTheDeviceAndANewTenantIsPickedUp() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("admin.dojot.device-manager.device", partitions: 2)
        let pki = try TestCertificates(clients: ["bridge": "k2v-bridge-e2e"])
        defer { pki.remove() }
        try await withTestBroker(tls: pki.brokerTLS, authorizer: DojotAuthorizer()) { broker in
            let (plainPort, tlsPort) = (broker.port, broker.tlsPort!)
            let device = try await MosquittoSubscriber.start(port: plainPort, device: "admin:a1998e", count: 1)
            defer { device.process.signal(SIGKILL) }
            // Only this test refreshes metadata this often (new tenants' topics are found by it).
            var configuration = K2VConfiguration.test(
                kafka: cluster.bootstrapServers, mqttPort: tlsPort, extra: ["topic.metadata.refresh.interval.ms": "4000"])
            configuration.hostname = "k2v-bridge-e2e"
            configuration.mqttProtocol = .mqtts
            configuration.caFile = pki.path("ca.crt")
            configuration.certificateFile = pki.path("bridge.crt")
            configuration.keyFile = pki.path("bridge.key")
            let bridge = try RunningBridge.start(configuration)

            try await Kcat.produce(
                bootstrap: cluster.bootstrapServers, topic: "admin.dojot.device-manager.device",
                keyDelimiter: "\t",
                lines: [
                    "admin:a1998e\t" + #"{"event":"configure","meta":{"service":"admin","timestamp":1616180000000},"data":{"id":"a1998e","attrs":{"target_temperature":23}}}"#
                ])
            #expect(try await device.output(timeout: .seconds(30)) == #"{"target_temperature":23}"# + "\n")
            _ = try await eventually("readiness") { bridge.readiness.isReady ? true : nil }

            let newcomer = try await MosquittoSubscriber.start(port: plainPort, device: "tenant2:dev9", count: 1)
            defer { newcomer.process.signal(SIGKILL) }
            try cluster.createTopic("tenant2.dojot.device-manager.device", partitions: 1)
            try await Kcat.produce(
                bootstrap: cluster.bootstrapServers, topic: "tenant2.dojot.device-manager.device",
                keyDelimiter: "\t",
                lines: [
                    "tenant2:dev9\t" + #"{"event":"configure","meta":{"service":"tenant2"},"data":{"id":"dev9","attrs":{"led":"on"}}}"#
                ])
            #expect(try await newcomer.output(timeout: .seconds(20)) == #"{"led":"on"}"# + "\n")
            try await bridge.stop()
            #expect(bridge.metrics.acknowledged.count == 2)
            #expect(bridge.metrics.inflight == 0)
        }
    }

    @Test func malformedRecordsBetweenGoodOnesAreCountedAndSkipped() async throws {
        let cluster = try KafkaMockCluster()
        let tenant = uniqueName("tenant")
        let topic = "\(tenant).dojot.device-manager.device"
        try cluster.createTopic(topic, partitions: 1)
        try await withTestBroker(limits: { $0.maxInflight = 1000 }) { broker in
            let port = broker.port
            let devices = TestDevices(tenant: tenant, count: 1, port: port, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            try await devices.start()
            let group = uniqueName("k2v")
            let bridge = try RunningBridge.start(.test(kafka: cluster.bootstrapServers, mqttPort: port, group: group))
            let device = devices.ids[0]
            let wrong = [
                "not json at all",
                #"{"event":"configure","meta":{"service":"\#(tenant)"},"data":{"id":"dev0","attrs":[1]}}"#,
                #"{"event":"configure","meta":{"service":7},"data":{"id":"dev0","attrs":{}}}"#,
                #"{"event":"configure","data":{"id":"dev0","attrs":{}}}"#,
                #"{"event":"configure","meta":{"service":"\#(tenant)"},"data":{"attrs":{}}}"#,
                // Another tenant's device, from this tenant's topic.
                #"{"event":"configure","meta":{"service":"admin"},"data":{"id":"dev0","attrs":{"seq":99}}}"#,
                "",
            ]
            var lines: [String] = []
            for (index, bad) in wrong.enumerated() {
                lines.append(configureEvent(device: device, seq: index))
                lines.append("\(device)\t\(bad)")
            }
            lines.append("\(device)\t" + #"{"event":"create","meta":{"service":"\#(tenant)"},"data":{"id":"dev0","attrs":{}}}"#)
            lines.append(configureEvent(device: device, seq: wrong.count))
            try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: topic, keyDelimiter: "\t", lines: lines)

            _ = try await eventually("every good record", timeout: .seconds(30)) { devices.devicesComplete(upTo: wrong.count + 1) == 1 ? true : nil }
            try await bridge.stop()
            #expect(devices.all[device] == Array(0...wrong.count))
            #expect(bridge.metrics.malformed.count == wrong.count)
            #expect(bridge.metrics.skipped.count == 1)
            #expect(bridge.metrics.consumed.count == lines.count)
            #expect(bridge.metrics.commits.count >= 1)

            // The graceful stop committed and left the group: a successor reads only what is new.
            let successor = try RunningBridge.start(.test(kafka: cluster.bootstrapServers, mqttPort: port, group: group))
            try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: topic, keyDelimiter: "\t", lines: [configureEvent(device: device, seq: wrong.count + 1)])
            _ = try await eventually("the new record", timeout: .seconds(30)) { devices.devicesComplete(upTo: wrong.count + 2) == 1 ? true : nil }
            try await successor.stop()
            await devices.stop()
            #expect(successor.metrics.consumed.count == 1)
            #expect(devices.all[device] == Array(0...wrong.count + 1))
        }
    }

    /// A record whose PUBLISH the broker would refuse (it closes the connection) is skipped, not
    /// retried forever: the records after it, other tenants' too, still arrive.
    @Test func recordOverTheBrokersPacketLimitDoesNotHoldBackTheOthers() async throws {
        let cluster = try KafkaMockCluster()
        let tenant = uniqueName("poison")
        let topic = "\(tenant).dojot.device-manager.device"
        try cluster.createTopic(topic, partitions: 1)
        try await withTestBroker(limits: {
            $0.maxInflight = 1000
            $0.maxPacketBytes = 4096
        }) { broker in
            let port = broker.port
            let devices = TestDevices(tenant: tenant, count: 1, port: port, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            try await devices.start()
            var configuration = K2VConfiguration.test(kafka: cluster.bootstrapServers, mqttPort: port)
            configuration.maxPacketBytes = 4096
            let bridge = try RunningBridge.start(configuration)
            let device = devices.ids[0]
            let id = device.split(separator: ":")[1]
            let big = String(repeating: "x", count: 5000)
            try await Kcat.produce(
                bootstrap: cluster.bootstrapServers, topic: topic,
                keyDelimiter: "\t",
                lines: [
                    configureEvent(device: device, seq: 0),
                    "\(device)\t{\"event\":\"configure\",\"meta\":{\"service\":\"\(tenant)\"},\"data\":{\"id\":\"\(id)\",\"attrs\":{\"big\":\"\(big)\"}}}",
                    configureEvent(device: device, seq: 1),
                ])
            _ = try await eventually("the record after the poison one", timeout: .seconds(20)) { devices.devicesComplete(upTo: 2) == 1 ? true : nil }
            try await bridge.stop()
            await devices.stop()
            #expect(devices.all[device] == [0, 1])
            #expect(bridge.metrics.malformed.count == 1)
        }
    }
}
