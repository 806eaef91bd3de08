import Foundation
import Kafka
@testable import K2VBridge
import NIOPosix
import Testing

@Suite(.serialized, .timeLimit(.minutes(2))) struct NoLossTests {
    static let devices = 50
    static let eventsPerDevice = 100

    /// Events for every device, interleaved, keyed by device (one device = one partition).
    static func events(tenant: String, sequences: Range<Int>) -> [String] {
        sequences.flatMap { seq in (0..<devices).map { configureEvent(device: "\(tenant):dev\($0)", seq: seq) } }
    }

    /// 5000 events for 50 devices; the broker (a separate process) is stopped with SIGTERM and
    /// started again on the same port while the bridge is publishing.
    @Test func brokerRestartMidStreamLosesNothing() async throws {
        let report = try await runBrokerRestart(signal: SIGTERM)
        #expect(report.problems.isEmpty, "\(report.problems.prefix(5))")
    }

    /// Information only (a hard kill loses what the broker held in memory): K2V_TEST_SIGKILL=1.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["K2V_TEST_SIGKILL"] == "1"))
    func brokerKilledMidStreamReport() async throws {
        let report = try await runBrokerRestart(signal: SIGKILL, completionTimeout: .seconds(20))
        print("SIGKILL restart: \(report.summary); first problems: \(report.problems.prefix(5))")
    }

    struct Report {
        var problems: [DeliveryCheck]
        var summary: String
    }

    private func runBrokerRestart(signal: Int32, completionTimeout: Duration = .seconds(60)) async throws -> Report {
        let cluster = try KafkaMockCluster()
        let tenant = uniqueName("loss")
        let topic = "\(tenant).dojot.device-manager.device"
        try cluster.createTopic(topic, partitions: 4)
        // Deliveries to devices are not throttled by the broker's default per-session window.
        let (broker, firstProcess) = try await BrokerProcess.start(extra: ["BROKER_MAX_INFLIGHT": "1000"])
        var brokerProcess = firstProcess
        let devices = TestDevices(tenant: tenant, count: Self.devices, port: broker.port, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        try await devices.start()
        var configuration = K2VConfiguration.test(kafka: cluster.bootstrapServers, mqttPort: broker.port)
        // The broker keeps sessions in memory: after its restart a device gets messages only once it
        // has subscribed again, so the bridge comes back later than the devices (50-300 ms).
        configuration.reconnect = .init(initialDelay: .seconds(3), maxDelay: .seconds(3))
        let bridge = try RunningBridge.start(configuration)
        let half = Self.eventsPerDevice / 2
        try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: topic, lines: Self.events(tenant: tenant, sequences: 0..<half))
        _ = try await eventually("the stream to be flowing", timeout: .seconds(30)) { devices.totalReceived >= 500 ? true : nil }
        let inflightAtStop = bridge.metrics.inflight
        let receivedAtStop = devices.totalReceived
        await brokerProcess.stop(signal)
        try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: topic, lines: Self.events(tenant: tenant, sequences: half..<Self.eventsPerDevice))
        brokerProcess = try await broker.launch()

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
        let summary = "signal \(signal): \(Self.devices * expected) events, received \(devices.totalReceived) (\(receivedAtStop) before the stop, "
            + "\(inflightAtStop) publishes in flight at the stop), missing \(missing), duplicates \(duplicates), "
            + "published \(bridge.metrics.published.count), acknowledged \(bridge.metrics.acknowledged.count)"
        print(summary)
        return Report(problems: checks.filter { !$0.missing.isEmpty || !$0.firstDeliveriesInOrder }, summary: summary)
    }
}
