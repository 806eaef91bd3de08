import Foundation
import Logging
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import TestSupport

/// Devices as persistent-session `MQTTClient`s subscribed to their `config` topic, recording
/// the sequence number (`{"seq":N}`) of every configuration they receive.
final class TestDevices: Sendable {
    let ids: [String]
    private let clients: [MQTTClient]
    private let received: NIOLockedValueBox<[String: [Int]]>
    private let readers: NIOLockedValueBox<[Task<Void, Never>]> = .init([])

    init(tenant: String, count: Int, port: Int, eventLoopGroup: any EventLoopGroup) {
        ids = (0..<count).map { "\(tenant):dev\($0)" }
        received = NIOLockedValueBox(Dictionary(uniqueKeysWithValues: ids.map { ($0, []) }))
        var quiet = Logger(label: "test-device")
        quiet.logLevel = .error
        clients = ids.map { id in
            MQTTClient(
                configuration: MQTTClientConfiguration(
                    host: "127.0.0.1", port: port, clientID: id, cleanSession: false, username: id,
                    reconnect: MQTTReconnectPolicy(initialDelay: .milliseconds(50), maxDelay: .milliseconds(300)),
                    connectTimeout: .seconds(5), automaticAcknowledgement: true, inboundBuffer: (256, 1024),
                    eventLoopGroup: eventLoopGroup
                ), logger: quiet)
        }
    }

    /// Connects and subscribes every device, and starts recording.
    func start() async throws {
        for (id, client) in zip(ids, clients) {
            // Like a real device, retry a first connection that fails (seen once under the whole
            // suite's load: a reset while 50 devices connect to a freshly started broker).
            for attempt in 1...3 {
                do {
                    try await client.connect()
                    break
                } catch  where attempt < 3 {
                    try await Task.sleep(for: .milliseconds(200 * attempt))
                }
            }
            guard case .granted = try await client.subscribe(to: "\(id)/config", qos: .atLeastOnce) else {
                throw TestFailure("\(id) could not subscribe")
            }
            let received = self.received
            let task = Task {
                for await message in client.messages {
                    let json = try? JSONSerialization.jsonObject(with: Data(message.payload.readableBytesView)) as? [String: Any]
                    let sequence = (json?["seq"] as? Int) ?? -1
                    received.withLockedValue { $0[id, default: []].append(sequence) }
                }
            }
            readers.withLockedValue { $0.append(task) }
        }
    }

    func stop() async {
        for client in clients { await client.shutdown() }
        for task in readers.withLockedValue({ $0 }) { await task.value }
    }

    var all: [String: [Int]] { received.withLockedValue { $0 } }
    var totalReceived: Int { all.values.reduce(0) { $0 + $1.count } }

    /// Devices that have received every one of `0..<count` at least once.
    func devicesComplete(upTo count: Int) -> Int {
        all.values.filter { Set($0).isSuperset(of: 0..<count) }.count
    }
}

/// What one device saw, checked for at-least-once delivery in order.
struct DeliveryCheck: CustomStringConvertible {
    let device: String
    let sequences: [Int]
    let expected: Int

    var missing: [Int] { Array(Set(0..<expected).subtracting(sequences)).sorted() }
    var duplicates: Int { sequences.count - Set(sequences).count }
    /// In order: each number seen for the first time is the next one; a replay after a
    /// reconnect or a rebalance repeats earlier numbers, and does not count against the order.
    var firstDeliveriesInOrder: Bool {
        var next = 0
        for sequence in sequences where sequence >= next {
            guard sequence == next else { return false }
            next += 1
        }
        return true
    }

    var description: String {
        "\(device): \(sequences.count) received, missing \(missing.prefix(10)), duplicates \(duplicates), in order \(firstDeliveriesInOrder)"
    }
}
