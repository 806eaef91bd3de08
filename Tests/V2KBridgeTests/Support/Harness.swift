import Foundation
import Logging
import MQTTCore
import NIOCore
import NIOPosix
import ServiceLifecycle
import ServiceRuntime
import TestSupport

@testable import V2KBridge

let testLogger: Logger = {
    var logger = Logger(label: "v2k-tests")
    logger.logLevel = .warning
    return logger
}()

/// Runs an in-process bridge in a `ServiceGroup` while `body` runs, then shuts it down gracefully.
@discardableResult
func withBridge<T>(
    _ configuration: V2KConfiguration,
    readiness: ReadinessState = ReadinessState(waitingFor: V2KBridge.readinessParts),
    _ body: (V2KBridge) async throws -> T
) async throws -> T {
    MetricsBootstrap.bootstrap()
    let bridge = try V2KBridge(configuration: configuration, readiness: readiness, logger: testLogger)
    let group = ServiceGroup(configuration: .init(services: [bridge], logger: testLogger))
    let running = Task { try await group.run() }
    do {
        try await eventually("the bridge to subscribe", timeout: .seconds(15)) { readiness.waiting.contains("mqtt") ? nil : true }
        let result = try await body(bridge)
        await group.triggerGracefulShutdown()
        try await running.value
        return result
    } catch {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
        throw error
    }
}

/// Simulated devices `<tenant>:dev<N>` publishing `{"id":"dev<N>-<i>","n":<i>}` at QoS 1.
struct DevicePublishers {
    let port: Int
    let tenant: String
    let devices: Int
    let messagesPerDevice: Int
    var window = 50
    /// false: hand every message to the client and return without waiting for PUBACKs (which,
    /// with the broker's end-to-end acknowledgement, wait for Kafka). Needs `window >= messagesPerDevice`.
    var awaitAcknowledgements = true

    /// Publishes everything; returns when every PUBACK has come, or throws after `timeout`.
    func run(timeout: Duration = .seconds(60), progress: (@Sendable (Int) -> Void)? = nil) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let window = self.window
        let tenant = self.tenant
        let count = self.messagesPerDevice
        let port = self.port
        let awaitAcknowledgements = self.awaitAcknowledgements
        let clients = (0..<devices).map { n in
            MQTTClient(
                configuration: MQTTClientConfiguration(
                    host: "127.0.0.1", port: port, clientID: "\(tenant):dev\(n)", cleanSession: false, username: "\(tenant):dev\(n)",
                    inflightWindow: window, eventLoopGroup: group
                ), logger: testLogger)
        }
        defer {
            Task {
                for client in clients { await client.shutdown() }
                try? await group.shutdownGracefully()
            }
        }
        for client in clients { try await client.connect() }
        let deadline = ContinuousClock.now + timeout
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for (n, client) in clients.enumerated() {
                tasks.addTask {
                    var pending = CircularBuffer<EventLoopFuture<Void>>(initialCapacity: window)
                    for i in 0..<count {
                        guard ContinuousClock.now < deadline else { throw TimedOut(what: "publishing", timeout: timeout) }
                        let payload = ByteBuffer(string: #"{"id":"dev\#(n)-\#(i)","n":\#(i)}"#)
                        let acknowledged = client.publishFuture(topic: "\(tenant):dev\(n)/attrs", payload: payload)
                        guard awaitAcknowledgements else { continue }
                        pending.append(acknowledged)
                        if pending.count >= window { try await pending.removeFirst().get() }
                        if n == 0, i % 100 == 0 { progress?(i * clients.count) }
                    }
                    while let future = pending.popFirst() { try await future.get() }
                }
            }
            try await tasks.waitForAll()
        }
        for client in clients { try? await client.disconnect() }
    }
}

/// Counts the message ids found in Kafka: distinct ids and duplicates.
struct KafkaIDCount: CustomStringConvertible {
    var records = 0
    var distinct = 0
    var duplicates: Int { records - distinct }

    static func read(bootstrap: String, topic: String) async throws -> KafkaIDCount {
        let lines = try await Kcat.consume(bootstrap: bootstrap, topic: topic, format: "%s\n")
        var ids = Set<Substring>()
        for line in lines {
            guard let start = line.range(of: #""id":""#)?.upperBound, let end = line[start...].firstIndex(of: "\"") else { continue }
            ids.insert(line[start..<end])
        }
        return KafkaIDCount(records: lines.count, distinct: ids.count)
    }

    var description: String { "\(records) records, \(distinct) distinct ids, \(duplicates) duplicates" }
}

/// One counter or gauge from a Prometheus text page (summing over labels).
func metricValue(_ name: String, in page: String) -> Double {
    page.split(separator: "\n").filter { !$0.hasPrefix("#") && ($0.hasPrefix(name + " ") || $0.hasPrefix(name + "{")) }
        .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
}

func scrapeMetrics(port: Int) async -> String? {
    guard let output = try? await ProcessRunner.run("/usr/bin/curl", ["-s", "--max-time", "2", "http://127.0.0.1:\(port)/metrics"], timeout: .seconds(5)),
        output.status == 0
    else { return nil }
    return output.standardOutput
}

/// Reads Kafka until `expected` distinct ids are there or `timeout`; the last count either way.
func waitForDistinctIDs(_ expected: Int, bootstrap: String, topic: String, timeout: Duration) async throws -> KafkaIDCount {
    let deadline = ContinuousClock.now + timeout
    var count = try await KafkaIDCount.read(bootstrap: bootstrap, topic: topic)
    while count.distinct < expected, ContinuousClock.now < deadline {
        try await Task.sleep(for: .seconds(1))
        count = try await KafkaIDCount.read(bootstrap: bootstrap, topic: topic)
    }
    return count
}
