import HTTPClient
import Logging
import MiniHTTPServer
import NIOCore
import NIOPosix
import ServiceRuntime
import Testing

/// dev-pki's server faces devices: strangers holding half-sent requests must not exhaust it.
@Suite(.timeLimit(.minutes(1))) struct MiniHTTPServerLimitsTests {
    @Test func halfSentRequestsAreCappedAndTimedOut() async throws {
        let server = try await MiniHTTPServer.bind(
            host: "127.0.0.1", port: 0, logger: Logger(label: "test"),
            limits: HTTPConnectionLimits(maximumConnections: 4, requestTimeout: .milliseconds(400))
        ) { _ in ServerResponse(status: .ok) }
        let running = Task { try await server.run() }
        defer { running.cancel() }
        let url = "http://127.0.0.1:\(server.port)/health"
        let client = HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .seconds(2), totalTimeout: .seconds(2)))
        var held: [any Channel] = []
        for _ in 0..<4 {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: server.port).get()
            try await channel.writeAndFlush(ByteBuffer(string: "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"))
            held.append(channel)
        }
        try await Task.sleep(for: .milliseconds(100))
        await #expect(throws: (any Error).self) { try await client.get(url) }
        let waiting = ContinuousClock.now
        for channel in held {
            let giveUp = channel.eventLoop.scheduleTask(in: .seconds(3)) { channel.close(promise: nil) }
            try? await channel.closeFuture.get()
            giveUp.cancel()
        }
        #expect(ContinuousClock.now - waiting < .seconds(2), "the server kept half-sent requests open")
        #expect(try await client.get(url).status == 200)
        await server.close()
    }
}
