import BrokerTestSupport
import Foundation
import Kafka
import NIOPosix
import TestSupport
import Testing

@testable import K2VBridge

@Suite(.timeLimit(.minutes(2))) struct ReplicaTests {
    /// Two `k2v-bridge` processes split the partitions; one is killed (SIGKILL) mid-stream and the
    /// other takes its partitions over after the session timeout: every event still arrives.
    @Test func killedReplicaHandsItsPartitionsOver() async throws {
        let cluster = try KafkaMockCluster()
        let tenant = uniqueName("replica")
        let topic = "\(tenant).dojot.device-manager.device"
        try cluster.createTopic(topic, partitions: 4)
        let group = uniqueName("k2v-replicas")
        try await withTestBroker(limits: { $0.maxInflight = 1000 }) { broker in
            let port = broker.port
            let devices = TestDevices(tenant: tenant, count: 20, port: port, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            try await devices.start()
            var replicas: [ChildProcess] = []
            var httpPorts: [Int] = []
            defer { for replica in replicas { replica.signal(SIGKILL) } }
            for index in 0..<2 {
                let httpPort = try await FreePort.find()
                httpPorts.append(httpPort)
                replicas.append(
                    try await ChildProcess.spawn(
                        try BuiltProducts.path("k2v-bridge"),
                        environment: [
                            "K2V_APP_HOSTNAME": "k2v-bridge-\(index)", "K2V_MQTT_HOST": "127.0.0.1", "K2V_MQTT_PORT": "\(port)",
                            "K2V_MQTT_PROTOCOL": "mqtt", "K2V_HTTP_BIND": "127.0.0.1", "K2V_HTTP_PORT": "\(httpPort)",
                            "K2V_CONSUMER_METADATA_BROKER_LIST": cluster.bootstrapServers, "K2V_CONSUMER_GROUP_ID": group,
                            "K2V_CONSUMER_SESSION_TIMEOUT_MS": "6000", "K2V_CONSUMER_HEARTBEAT_INTERVAL_MS": "500",
                            "K2V_COMMIT_INTERVAL_MS": "200", "LOG_LEVEL": "info",
                        ], logFile: ChildProcess.temporaryLogFile("k2v-test-k2v-replica-\(index)")))
            }
            // A steady stream, so that both replicas get records once the group has settled.
            var sequence = 0
            func produce(_ rounds: Int) async throws {
                let lines = (sequence..<sequence + rounds).flatMap { seq in devices.ids.map { configureEvent(device: $0, seq: seq) } }
                try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: topic, keyDelimiter: "\t", lines: lines)
                sequence += rounds
            }
            _ = try await eventually("both replicas to own partitions and publish", timeout: .seconds(40)) { () async throws -> Bool? in
                try await produce(5)
                let counts = try await httpPorts.asyncMap { try await Self.acknowledged(httpPort: $0) }
                return counts.allSatisfy { $0 > 0 } ? true : nil
            }
            await replicas[0].stop(SIGKILL)
            for _ in 0..<10 {
                try await produce(10)
                try await Task.sleep(for: .milliseconds(200))
            }
            let expected = sequence
            _ = try await eventually("every event after the hand-over", timeout: .seconds(40)) {
                devices.devicesComplete(upTo: expected) == devices.ids.count ? true : nil
            }
            #expect(await replicas[1].stop() == 0, "SIGTERM: graceful exit")
            await devices.stop()
            let checks = devices.all.map { DeliveryCheck(device: $0.key, sequences: $0.value, expected: expected) }
            #expect(checks.allSatisfy { $0.missing.isEmpty && $0.firstDeliveriesInOrder }, "\(checks.filter { !$0.missing.isEmpty || !$0.firstDeliveriesInOrder }.prefix(3))")
            print("replicas: \(expected * devices.ids.count) events, duplicates \(checks.reduce(0) { $0 + $1.duplicates })")
        }
    }

    /// `k2v_messages_acknowledged_total` from a replica's `/metrics`.
    static func acknowledged(httpPort: Int) async throws -> Int {
        let output = try await runCurl("http://127.0.0.1:\(httpPort)/metrics")
        let line = output.split(separator: "\n").first { $0.hasPrefix("k2v_messages_acknowledged_total") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
    }

    static func runCurl(_ url: String) async throws -> String {
        try await ProcessRunner.run("/usr/bin/curl", ["-s", "--max-time", "2", url], timeout: .seconds(5)).standardOutput
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
