import ArgumentParser
import Foundation
import LoadTest
import MQTTCore
import NIOCore
import NIOPosix

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Runs one broker benchmark scenario and prints its result as JSON.")

    enum Scenario: String, ExpressibleByArgument, CaseIterable {
        case fanIn = "fan-in"
        case fanOut = "fan-out"
        case idle, storm
    }

    @Option(help: "fan-in, fan-out, idle or storm") var scenario: Scenario
    @Option var host = "127.0.0.1"
    @Option var port = 1883
    @Option(help: "QoS of the fan-in publishers and consumers") var qos = 1
    @Option(help: "fan-in: publishers") var publishers = 50
    @Option(help: "fan-in: messages per publisher; fan-out: messages") var messages = 2000
    @Option(help: "fan-in: messages per second per publisher (default: as fast as possible)") var rate: Double?
    @Option(help: "fan-out: subscribers") var subscribers = 1000
    @Flag(help: "fan-in: consumers with persistent sessions (what a broker with a store writes to disk)") var persistentConsumers = false
    @Option(help: "idle/storm: connections") var connections = 10000
    @Option(help: "the broker's process id, for its memory (idle, storm) and CPU time (all)") var brokerPid: Int32?
    @Option(help: "storm: connects under way at a time (TCP, TLS, CONNECT until CONNACK)") var inFlight = 64
    @Option(help: "storm: TLS CA file (enables TLS)") var cafile: String?
    @Option(help: "storm: client certificate") var cert: String?
    @Option(help: "storm: client key") var key: String?
    @Option(help: "storm: a directory in the pki-sidecar device layout (cert_<prefix><n>/); each connection presents its own certificate") var certDir: String?
    @Option(help: "storm: device id prefix in --cert-dir") var devicePrefix = "storm"
    @Option(help: "storm without TLS: the devices' keep alive in seconds (0: none)") var keepAlive: UInt16 = 0
    @Flag(help: "storm without TLS: connect with the NIO client instead of raw sockets on one thread") var nioClient = false
    @Option(help: "event loop threads") var threads = System.coreCount

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: self.threads)
        let brokerBefore = try self.brokerPid.map { try BenchScenarios.cpuTimes(pid: "\($0)") }
        let loadBefore = try BenchScenarios.cpuTimes(pid: "self")
        var result = try await self.measure(group: group)
        result.loadCPUSeconds = try (BenchScenarios.cpuTimes(pid: "self") - loadBefore).total
        if let brokerBefore, let pid = self.brokerPid {
            let used = try BenchScenarios.cpuTimes(pid: "\(pid)") - brokerBefore
            result.brokerCPUSeconds = used.total
            result.brokerSystemCPUSeconds = used.system
        }
        try? await group.shutdownGracefully()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(result), as: UTF8.self))
    }

    private func measure(group: MultiThreadedEventLoopGroup) async throws -> BenchScenarios.Result {
        var target = LoadRunner.Target(host: self.host, port: self.port)
        if let cafile = self.cafile {
            target.tls = try LoadTLS.configuration(caFile: cafile, certFile: self.cert, keyFile: self.key)
        }
        let runner = try LoadRunner(target: target, group: group)
        guard let qos = QoS(rawValue: UInt8(clamping: self.qos)) else { throw ValidationError("--qos must be 0, 1 or 2") }
        switch self.scenario {
        case .fanIn:
            return try await BenchScenarios.fanIn(
                runner: runner, qos: qos, publishers: self.publishers, messagesPerPublisher: self.messages, ratePerPublisher: self.rate,
                persistentConsumers: self.persistentConsumers)
        case .fanOut:
            return try await BenchScenarios.fanOut(runner: runner, subscribers: self.subscribers, messages: self.messages)
        case .idle:
            guard let pid = self.brokerPid else { throw ValidationError("--broker-pid is needed for the idle scenario") }
            return try await BenchScenarios.idleConnections(runner: runner, connections: self.connections, brokerPID: pid)
        case .storm where target.tls == nil && !self.nioClient:
            return try await BenchScenarios.rawConnectionStorm(
                host: self.host, port: self.port, connections: self.connections, inFlight: self.inFlight, keepAlive: self.keepAlive,
                brokerPID: self.brokerPid
            )
        case .storm:
            let identities = try self.certDir.map { directory in
                try BenchScenarios.deviceTLSContexts(directory: directory, prefix: self.devicePrefix, count: self.connections)
            }
            return try await BenchScenarios.connectionStorm(
                runner: runner, connections: self.connections, inFlight: self.inFlight, tlsIdentities: identities, brokerPID: self.brokerPid
            )
        }
    }
}
