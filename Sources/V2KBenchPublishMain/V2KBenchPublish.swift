import ArgumentParser
import Foundation
import MQTTCore
import NIOCore
import NIOPosix

/// `v2k-bench-publish`: simulated devices that publish JSON attributes at QoS 1 as fast as
/// their in-flight windows allow; prints the publish rate as JSON. For `scripts/bench-v2k.sh`.
@main
struct V2KBenchPublish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "v2k-bench-publish",
        abstract: "Publishes N JSON messages per device to <tenant>:<device>/attrs and reports the rate."
    )

    @Option var host = "127.0.0.1"
    @Option var port = 1883
    @Option var tenant = "bench"
    @Option(help: "simulated devices") var devices = 50
    @Option(help: "messages per device") var messages = 2000
    @Option(help: "unacknowledged publishes per device") var window = 100
    @Option var qos = 1
    @Option(help: "event loop threads") var threads = 1
    @Option(help: "give up after this many seconds") var timeout = 300

    func run() async throws {
        guard let qos = QoS(rawValue: UInt8(clamping: qos)) else { throw ValidationError("--qos must be 0, 1 or 2") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let clients = (0..<devices).map { n in
            MQTTClient(
                configuration: MQTTClientConfiguration(
                    host: host, port: port, clientID: "\(tenant):dev\(n)", username: "\(tenant):dev\(n)",
                    inflightWindow: window, eventLoopGroup: group
                ))
        }
        for client in clients { try await client.connect() }
        let start = ContinuousClock.now
        let deadline = start + .seconds(timeout)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for (n, client) in clients.enumerated() {
                tasks.addTask {
                    try await publish(client: client, device: "dev\(n)", qos: qos, deadline: deadline)
                }
            }
            try await tasks.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let total = devices * messages
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        print("{\"published\":\(total),\"seconds\":\(String(format: "%.3f", seconds)),\"rate\":\(Int(Double(total) / seconds)),\"cpu_seconds\":\(String(format: "%.2f", cpu))}")
        for client in clients {
            try? await client.disconnect()
            await client.shutdown()
        }
        try await group.shutdownGracefully()
    }

    private func publish(client: MQTTClient, device: String, qos: QoS, deadline: ContinuousClock.Instant) async throws {
        let topic = "\(tenant):\(device)/attrs"
        var pending = CircularBuffer<EventLoopFuture<Void>>(initialCapacity: window)
        for n in 0..<messages {
            guard ContinuousClock.now < deadline else { throw ValidationError("timed out") }
            let payload = ByteBuffer(string: #"{"id":"\#(device)-\#(n)","n":\#(n),"temperature":21.5,"on":true}"#)
            pending.append(client.publishFuture(topic: topic, payload: payload, qos: qos))
            if pending.count >= window { try await pending.removeFirst().get() }
        }
        while let future = pending.popFirst() { try await future.get() }
    }
}
