import Foundation
import MQTTCore
import NIOCore
import NIOSSL

/// The broker benchmarks of `make bench`: the same scenario, run against any MQTT broker.
public enum BenchScenarios {
    public struct Result: Sendable, Codable {
        public var scenario: String
        /// Messages delivered to subscribers per second (fan-in, fan-out), or connections per
        /// second (connection storm).
        public var rate: Double
        public var delivered: Int
        public var expected: Int
        public var p50Micros: UInt64
        public var p99Micros: UInt64
        public var bytesPerConnection: Int?
        /// CPU time (user + system) the broker process used during the scenario.
        public var brokerCPUSeconds: Double?
        /// The kernel's part of `brokerCPUSeconds` (system time): accept, epoll, read, write, close.
        public var brokerSystemCPUSeconds: Double?
        /// CPU time of the load tool itself: on one machine both processes share the cores, so
        /// the two together show when the machine, not the broker, is the limit.
        public var loadCPUSeconds: Double?
    }

    /// Publishers to `bench:p<N>/attrs`, consumers on `$share/bench/+/attrs`: the v2k-bridge path.
    public static func fanIn(
        runner: LoadRunner, qos: QoS, publishers: Int = 50, consumers: Int = 2, messagesPerPublisher: Int,
        payloadSize: Int = 100, ratePerPublisher: Double? = nil, persistentConsumers: Bool = false, timeout: Duration = .seconds(120)
    ) async throws -> Result {
        try await runner.connect(
            (0..<consumers).map { n in
                var consumer = ClientSpec(clientID: "bench-consumer-\(n)", role: .subscriber(filter: "$share/bench/+/attrs", qos: qos))
                consumer.cleanSession = !persistentConsumers
                return consumer
            })
        _ = try await runner.wait(timeout: .seconds(30)) { $0.subscribed >= consumers }
        let expected = publishers * messagesPerPublisher
        let plan = PublishPlan(topic: "", qos: qos, payloadSize: payloadSize, count: messagesPerPublisher, ratePerSecond: ratePerPublisher)
        let start = ContinuousClock.now
        try await runner.connect(
            (0..<publishers).map { n in
                var publisher = plan
                publisher.topic = "bench:p\(n)/attrs"
                return ClientSpec(clientID: "bench-publisher-\(n)", role: .publisher(publisher))
            })
        let (final, elapsed) = try await self.waitForDeliveries(runner: runner, expected: expected, start: start, timeout: timeout)
        return Result(
            scenario: "fan-in-qos\(qos.rawValue)", rate: Double(final.received) / elapsed, delivered: final.received,
            expected: expected, p50Micros: final.endToEndLatency.valueAtPercentile(50),
            p99Micros: final.endToEndLatency.valueAtPercentile(99)
        )
    }

    /// One publisher, every message to `subscribers` device subscriptions.
    public static func fanOut(
        runner: LoadRunner, subscribers: Int = 1000, messages: Int, payloadSize: Int = 100, timeout: Duration = .seconds(120)
    ) async throws -> Result {
        try await runner.connect(
            (0..<subscribers).map { n in
                ClientSpec(clientID: "bench-device-\(n)", role: .subscriber(filter: "bench/fanout", qos: .atMostOnce))
            }, perSecond: 5000)
        _ = try await runner.wait(timeout: .seconds(60)) { $0.subscribed >= subscribers }
        let plan = PublishPlan(topic: "bench/fanout", qos: .atLeastOnce, payloadSize: payloadSize, count: messages, window: 8)
        let start = ContinuousClock.now
        try await runner.connect([ClientSpec(clientID: "bench-fanout-publisher", role: .publisher(plan))])
        let expected = subscribers * messages
        let (final, elapsed) = try await self.waitForDeliveries(runner: runner, expected: expected, start: start, timeout: timeout)
        return Result(
            scenario: "fan-out", rate: Double(final.received) / elapsed, delivered: final.received, expected: expected,
            p50Micros: final.endToEndLatency.valueAtPercentile(50), p99Micros: final.endToEndLatency.valueAtPercentile(99)
        )
    }

    /// Idle connections; memory per connection from the broker's resident set size.
    public static func idleConnections(runner: LoadRunner, connections: Int, brokerPID: Int32, timeout: Duration = .seconds(120)) async throws -> Result {
        let before = try residentBytes(pid: brokerPID)
        let start = ContinuousClock.now
        try await runner.connect(
            (0..<connections).map { n in
                var spec = ClientSpec(clientID: "bench-idle-\(n)", role: .idle)
                spec.keepAlive = 0
                return spec
            }, perSecond: 4000)
        let final = try await runner.wait(timeout: timeout) { $0.connected + $0.connectFailures >= connections }
        let elapsed = (ContinuousClock.now - start).seconds
        try await Task.sleep(for: .seconds(1))
        let after = try residentBytes(pid: brokerPID)
        return Result(
            scenario: "idle-connections", rate: Double(final.connected) / elapsed, delivered: final.connected, expected: connections,
            p50Micros: final.connectLatency.valueAtPercentile(50), p99Micros: final.connectLatency.valueAtPercentile(99),
            bytesPerConnection: final.connected > 0 ? (after - before) / final.connected : nil
        )
    }

    /// Connections opened as fast as the broker takes them, `inFlight` connects at a time (with
    /// TLS when the runner's target has it): a reconnect storm as devices make it.
    /// `tlsIdentities`: one TLS context per connection (each device its own certificate).
    public static func connectionStorm(
        runner: LoadRunner, connections: Int, inFlight: Int = 64, tlsIdentities: [NIOSSLContext]? = nil, brokerPID: Int32?,
        timeout: Duration = .seconds(120)
    ) async throws -> Result {
        let specs = (0..<connections).map { n in
            var spec = ClientSpec(clientID: "bench-storm-\(n)", role: .idle)
            spec.keepAlive = 0
            spec.sslContext = tlsIdentities?[n]
            return spec
        }
        let before = try brokerPID.map(residentBytes(pid:))
        let start = ContinuousClock.now
        // Opens in the background; the wait below bounds the storm in time.
        Task { await runner.connect(specs, inFlight: inFlight) }
        let final = try await runner.wait(timeout: timeout, every: .milliseconds(20)) { $0.connected + $0.connectFailures >= connections }
        let elapsed = (ContinuousClock.now - start).seconds
        var perConnection: Int?
        if let before, let brokerPID, final.connected > 0 {
            try await Task.sleep(for: .seconds(1))
            perConnection = (try residentBytes(pid: brokerPID) - before) / final.connected
        }
        return Result(
            scenario: "connection-storm", rate: Double(final.connected) / elapsed, delivered: final.connected, expected: connections,
            p50Micros: final.connectLatency.valueAtPercentile(50), p99Micros: final.connectLatency.valueAtPercentile(99),
            bytesPerConnection: perConnection
        )
    }

    /// The plain storm with `RawConnectionStorm` (one thread, raw sockets): what an external
    /// epoll load generator measures.
    /// The connections are then closed at once and the broker is given a second to take the
    /// disconnects, which its CPU time includes: half of a reconnect storm.
    public static func rawConnectionStorm(
        host: String, port: Int, connections: Int, inFlight: Int = 64, keepAlive: UInt16 = 0, brokerPID: Int32?,
        timeout: Duration = .seconds(120)
    ) async throws -> Result {
        let storm = try RawConnectionStorm(host: host, port: port, keepAlive: keepAlive)
        defer { storm.closeAll() }
        let before = try brokerPID.map(residentBytes(pid:))
        let outcome = storm.run(connections: connections, inFlight: inFlight, timeout: timeout)
        var perConnection: Int?
        if let before, let brokerPID, outcome.connected > 0 {
            try await Task.sleep(for: .seconds(1))
            perConnection = (try residentBytes(pid: brokerPID) - before) / outcome.connected
        }
        storm.closeAll()
        if brokerPID != nil { try await Task.sleep(for: .seconds(1)) }
        return Result(
            scenario: "connection-storm-raw", rate: Double(outcome.connected) / outcome.seconds, delivered: outcome.connected,
            expected: connections, p50Micros: outcome.latencyMicros.p50, p99Micros: outcome.latencyMicros.p99, bytesPerConnection: perConnection
        )
    }

    /// Waits until every expected delivery arrived, or deliveries stop for two seconds (QoS 0
    /// may lose some), or the timeout; the rate counts up to the last delivery seen.
    private static func waitForDeliveries(runner: LoadRunner, expected: Int, start: ContinuousClock.Instant, timeout: Duration) async throws -> (LoadSnapshot, Double) {
        let deadline = start + timeout
        var last = try await runner.snapshot()
        var lastChange = ContinuousClock.now
        while last.received < expected && ContinuousClock.now < deadline && ContinuousClock.now - lastChange < .seconds(2) {
            try await Task.sleep(for: .milliseconds(50))
            let now = try await runner.snapshot()
            if now.received != last.received { lastChange = ContinuousClock.now }
            last = now
        }
        return (last, (lastChange - start).seconds)
    }

    /// A TLS context per device of a `loadtest certs` directory (made before the clock starts).
    public static func deviceTLSContexts(directory: String, prefix: String, count: Int) throws -> [NIOSSLContext] {
        let certificates = DeviceCertificates(directory: directory)
        return try (0..<count).map { n in
            try NIOSSLContext(
                configuration: LoadTLS.configuration(
                    caFile: certificates.caPath, certFile: certificates.certificatePath("\(prefix)\(n)"), keyFile: certificates.keyPath("\(prefix)\(n)")
                ))
        }
    }

    /// User and system CPU time of a process (`/proc/<pid>/stat`; "self" for this one).
    public struct CPUTimes: Sendable {
        public var user: Double
        public var system: Double
        public var total: Double { self.user + self.system }

        public static func - (lhs: CPUTimes, rhs: CPUTimes) -> CPUTimes {
            CPUTimes(user: lhs.user - rhs.user, system: lhs.system - rhs.system)
        }
    }

    public static func cpuTimes(pid: String) throws -> CPUTimes {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which may hold spaces) start at field 3; utime and
        // stime are fields 14 and 15, in clock ticks.
        guard let close = stat.lastIndex(of: ")") else { throw BenchError("cannot read /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchError("cannot read the CPU times of process \(pid)")
        }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return CPUTimes(user: user / ticks, system: system / ticks)
    }

    static func residentBytes(pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { throw BenchError("cannot read VmRSS of process \(pid)") }
        return kilobytes * 1024
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double { Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18 }
}

extension Duration {
    var timeAmount: TimeAmount {
        .nanoseconds(self.components.seconds * 1_000_000_000 + self.components.attoseconds / 1_000_000_000)
    }
}
