import Foundation
import Kafka
import NIOPosix
import TestSupport
import Testing

@testable import K2VBridge

/// k2v-bridge's configure events handed to a broker with a data directory (acknowledged, offsets
/// committed) survive the broker's SIGKILL: the offline device gets every one after the restart.
@Suite(.serialized, .timeLimit(.minutes(2))) struct K2VBrokerCrashTests {
    @Test func configureEventsForAnOfflineDeviceSurviveABrokerSIGKILL() async throws {
        let cluster = try KafkaMockCluster()
        let tenant = uniqueName("crash")
        let topic = "\(tenant).dojot.device-manager.device"
        try cluster.createTopic(topic, partitions: 1)
        let directory = try TemporaryDirectory.make(prefix: "k2v-broker-crash")
        defer { try? FileManager.default.removeItem(at: directory) }
        let broker = try await TestSupport.BrokerChild(dataDirectory: directory.appendingPathComponent("data").path)
        defer { broker.stop() }

        // The device subscribes with a persistent session and goes away.
        let device = TestDevices(tenant: tenant, count: 1, port: broker.port, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        try await device.start()
        await device.stop()

        let bridge = try RunningBridge.start(.test(kafka: cluster.bootstrapServers, mqttPort: broker.port))
        try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: topic, keyDelimiter: "\t", lines: (0..<100).map { configureEvent(device: device.ids[0], seq: $0) })
        _ = try await eventually("100 acknowledged by the broker", timeout: .seconds(30)) { bridge.metrics.acknowledged.count >= 100 ? true : nil }
        _ = try await eventually("their offsets committed", timeout: .seconds(30)) { bridge.metrics.commits.count > 0 && bridge.metrics.inflight == 0 ? true : nil }
        try await bridge.stop()

        try await broker.kill()
        try await broker.start()
        let back = TestDevices(tenant: tenant, count: 1, port: broker.port, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        try await back.start()
        _ = try? await eventually("all 100 after the restart", timeout: .seconds(15)) { back.devicesComplete(upTo: 100) == 1 ? true : nil }
        await back.stop()
        let check = DeliveryCheck(device: back.ids[0], sequences: back.all[back.ids[0]] ?? [], expected: 100)
        #expect(check.missing.isEmpty && check.firstDeliveriesInOrder, "\(check)")
    }
}
