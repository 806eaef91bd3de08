import Foundation
import Kafka
import NIOPosix
import TestSupport
import Testing

@testable import K2VBridge

@Suite(.serialized, .timeLimit(.minutes(2))) struct NoLossTests {
    static let devices = 50
    static let eventsPerDevice = 100

    /// Events for every device, interleaved, keyed by device (one device = one partition).
    static func events(tenant: String, sequences: Range<Int>) -> [String] {
        sequences.flatMap { seq in (0..<devices).map { configureEvent(device: "\(tenant):dev\($0)", seq: seq) } }
    }

    /// 5000 events for 50 devices; the broker (a separate process) is stopped with SIGTERM and
    /// started again on the same port between the two halves of the stream: the bridge pauses
    /// while MQTT is down and resumes where it was.
    @Test func brokerRestartMidStreamLosesNothing() async throws {
        let report = try await runBrokerRestart(signal: SIGTERM, underLoad: false)
        #expect(report.problems.isEmpty, "\(report.problems.prefix(5))")
    }

    /// The broker stopped with SIGTERM while publishes are in flight: it stops taking PUBLISHes
    /// (the bridge resends them after reconnecting) and delivers what it had accepted before
    /// closing, so nothing is lost.
    @Test func brokerGracefulRestartUnderLoadLosesNothing() async throws {
        let report = try await runBrokerRestart(signal: SIGTERM, underLoad: true, completionTimeout: .seconds(30))
        #expect(report.problems.isEmpty, "\(report.summary): \(report.problems.prefix(5))")
    }

    /// The broker killed (SIGKILL) while publishes are in flight. With a data directory what it
    /// acknowledged was on disk (persistent device sessions and their queues), so nothing is lost.
    @Test func brokerKilledUnderLoadLosesNothingWithADataDirectory() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("k2v-noloss-store")).path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let report = try await runBrokerRestart(signal: SIGKILL, underLoad: true, completionTimeout: .seconds(30), extra: ["BROKER_DATA_DIR": directory])
        #expect(report.problems.isEmpty, "\(report.summary): \(report.problems.prefix(5))")
    }

    struct Report {
        var problems: [DeliveryCheck]
        var summary: String
    }

    private func runBrokerRestart(
        signal: Int32, underLoad: Bool, completionTimeout: Duration = .seconds(60), extra: [String: String] = [:]
    ) async throws -> Report {
        let cluster = try KafkaMockCluster()
        let tenant = uniqueName("loss")
        let topic = "\(tenant).dojot.device-manager.device"
        try cluster.createTopic(topic, partitions: 4)
        // Deliveries to devices are not throttled by the broker's default per-session window.
        let (broker, firstProcess) = try await BrokerProcess.start(extra: ["BROKER_MAX_INFLIGHT": "1000"].merging(extra) { $1 })
        var brokerProcess = firstProcess
        let devices = TestDevices(tenant: tenant, count: Self.devices, port: broker.port, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        try await devices.start()
        var configuration = K2VConfiguration.test(kafka: cluster.bootstrapServers, mqttPort: broker.port)
        // The broker keeps sessions in memory: after its restart a device gets messages only once it
        // has subscribed again, so the bridge comes back later than the devices (50-300 ms).
        configuration.reconnect = .init(initialDelay: .seconds(3), maxDelay: .seconds(3))
        let bridge = try RunningBridge.start(configuration)
        let half = Self.eventsPerDevice / 2
        try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: topic, keyDelimiter: "\t", lines: Self.events(tenant: tenant, sequences: 0..<half))
        if underLoad {
            _ = try await eventually("the stream to be flowing", timeout: .seconds(30)) { devices.totalReceived >= 500 ? true : nil }
            _ = try? await eventually("publishes in flight", timeout: .seconds(3)) { bridge.metrics.inflight > 0 ? true : nil }
        } else {
            // The broker has delivered all it acknowledged: nothing of it is only in its memory.
            _ = try await eventually("the first half", timeout: .seconds(30)) { devices.devicesComplete(upTo: half) == Self.devices ? true : nil }
        }
        let inflightAtStop = bridge.metrics.inflight
        let receivedAtStop = devices.totalReceived
        let stoppedAt = ContinuousClock.now
        await brokerProcess.stop(signal)
        brokerProcess = try await broker.launch()
        let downtime = ContinuousClock.now - stoppedAt
        try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: topic, keyDelimiter: "\t", lines: Self.events(tenant: tenant, sequences: half..<Self.eventsPerDevice))
        if !underLoad {
            // While MQTT is down (the bridge reconnects after about 3 s) nothing more is read.
            try await Task.sleep(for: .milliseconds(500))
            if bridge.readiness.waiting.contains("mqtt") { #expect(bridge.metrics.consumed.count == Self.devices * half) }
        }

        let expected = Self.eventsPerDevice
        _ = try? await eventually("every device to have every event", timeout: completionTimeout) {
            devices.devicesComplete(upTo: expected) == Self.devices ? true : nil
        }
        try await bridge.stop()
        await devices.stop()
        await brokerProcess.stop()
        let checks = devices.all.map { DeliveryCheck(device: $0.key, sequences: $0.value, expected: expected) }
        let missing = checks.reduce(0) { $0 + $1.missing.count }
        let duplicates = checks.reduce(0) { $0 + $1.duplicates }
        let summary =
            "signal \(signal): \(Self.devices * expected) events, received \(devices.totalReceived) (\(receivedAtStop) before the stop, "
            + "\(inflightAtStop) publishes in flight at the stop, broker down \(downtime)), missing \(missing), duplicates \(duplicates), "
            + "published \(bridge.metrics.published.count), acknowledged \(bridge.metrics.acknowledged.count)"
        print(summary)
        return Report(problems: checks.filter { !$0.missing.isEmpty || !$0.firstDeliveriesInOrder }, summary: summary)
    }
}
