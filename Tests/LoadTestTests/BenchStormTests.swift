import BrokerTestSupport
import Foundation
import LoadTest
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// The connection storm of `make bench`: a bounded number of connects in flight, and a
/// certificate per device on the TLS listener.
@Suite struct BenchStormTests {
    /// Accepts TCP connections, counts them, never answers (each connect stays in flight).
    final class SilentServer: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let accepted = NIOLockedValueBox<[any Channel]>([])
        func channelActive(context: ChannelHandlerContext) { self.accepted.withLockedValue { $0.append(context.channel) } }
        var count: Int { self.accepted.withLockedValue { $0.count } }
        func closeAll() { for channel in self.accepted.withLockedValue({ $0 }) { channel.close(promise: nil) } }
    }

    @Test func stormKeepsAtMostInFlightConnectsUnderWay() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let silent = SilentServer()
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(silent) } }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress!.port!
        let runner = try LoadRunner(target: .init(host: "127.0.0.1", port: port), group: group)
        let specs = (0..<10).map { ClientSpec(clientID: "storm-\($0)", role: .idle) }
        let storm = Task { await runner.connect(specs, inFlight: 3) }
        try await Task.sleep(for: .milliseconds(500))
        #expect(silent.count == 3)
        // The server goes away: the held connects end, the rest are refused, and the storm is over.
        try await server.close()
        silent.closeAll()
        let finished = NIOLockedValueBox(false)
        Task {
            await storm.value
            finished.withLockedValue { $0 = true }
        }
        for _ in 0..<100 where !finished.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(100)) }
        #expect(finished.withLockedValue { $0 }, "the storm did not end after every connect failed")
    }

    @Test func everyDevicePresentsItsOwnCertificate() async throws {
        let directory = try TemporaryDirectory.make(prefix: "bench-storm")
        defer { try? FileManager.default.removeItem(at: directory) }
        try LocalCertificates.make(directory: directory.path, tenant: "bench", ids: (0..<6).map { "storm\($0)" })
        try await withTestBroker(tls: .localCertificates(directory.path), plain: false) { broker in
            let group = MultiThreadedEventLoopGroup.singleton
            // No TLS on the runner's target: only the devices' own contexts make TLS connections.
            let runner = try LoadRunner(target: .init(host: "127.0.0.1", port: broker.port), group: group)
            let identities = try BenchScenarios.deviceTLSContexts(directory: directory.path, prefix: "storm", count: 6)
            let result = try await BenchScenarios.connectionStorm(runner: runner, connections: 6, inFlight: 2, tlsIdentities: identities, brokerPID: nil, timeout: .seconds(20))
            #expect(result.delivered == 6)
        }
    }

    /// The raw-socket storm of the plain scenario: every connect gets its CONNACK from our broker.
    @Test func rawStormConnectsEveryDevice() async throws {
        try await withTestBroker { broker in
            let storm = try RawConnectionStorm(host: "127.0.0.1", port: broker.port)
            defer { storm.closeAll() }
            let outcome = storm.run(connections: 300, inFlight: 16, timeout: .seconds(20))
            #expect(outcome.connected == 300)
            #expect(outcome.failures == 0)
            #expect(outcome.latencyMicros.p50 > 0)
        }
    }

    /// A server that never answers: only `inFlight` connects are started, none counts as connected.
    @Test func rawStormKeepsAtMostInFlightConnectsUnderWay() async throws {
        let silent = SilentServer()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(silent) } }
            .bind(host: "127.0.0.1", port: 0).get()
        defer {
            silent.closeAll()
            server.close(promise: nil)
        }
        let storm = try RawConnectionStorm(host: "127.0.0.1", port: server.localAddress!.port!)
        let outcome = storm.run(connections: 10, inFlight: 3, timeout: .seconds(1))
        #expect(outcome.connected == 0)
        #expect(silent.count == 3)
    }
}
