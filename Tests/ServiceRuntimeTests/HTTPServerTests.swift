import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import TestSupport
import Testing

@testable import ServiceRuntime

/// The one HTTP server under every HTTP endpoint (ops, dev-pki): routes, limits, start and stop.
@Suite(.timeLimit(.minutes(1))) struct HTTPServerTests {
    private var quietLogger: Logger {
        var logger = Logger(label: "http-test")
        logger.logLevel = .critical
        return logger
    }

    private var healthRoutes: HTTPRoutes {
        var routes = HTTPRoutes()
        routes.on(.GET, "/health") { _ in .json(.ok, ["status": "ok"]) }
        routes.on(.POST, "/health") { _ in .json(.ok, ["status": "ok"]) }
        return routes
    }

    private func withServer(limits: HTTPConnectionLimits, _ body: (Int) async throws -> Void) async throws {
        try await HTTPServer(host: "127.0.0.1", port: 0, routes: healthRoutes, limits: limits, logger: quietLogger).serving(body)
    }

    /// The attack that exhausted the broker's descriptors: many half-sent requests held open, in
    /// the header (ops endpoints) or in the body (dev-pki).
    @Test(arguments: [
        "GET /health HTTP/1.1\r\nHost: x\r\n",
        "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
    ])
    func halfSentRequestsAreCappedAndTimedOut(halfSent: String) async throws {
        try await withServer(limits: HTTPConnectionLimits(maximumConnections: 8, requestTimeout: .milliseconds(500))) { port in
            var held: [any Channel] = []
            for _ in 0..<8 {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
                try await channel.writeAndFlush(ByteBuffer(string: halfSent))
                held.append(channel)
            }
            try await Task.sleep(for: .milliseconds(100))
            // Full: one more connection is closed at accept.
            await #expect(throws: (any Error).self) { try await HTTPTestClient.request("/health", port: port) }
            // Each half-sent request is closed by the server at its deadline (the client would give
            // up only after 3 s), and the endpoint answers again.
            let waiting = ContinuousClock.now
            for channel in held {
                let closed = channel.closeFuture
                let deadline = channel.eventLoop.scheduleTask(in: .seconds(3)) { channel.close(promise: nil) }
                try? await closed.get()
                deadline.cancel()
            }
            #expect(ContinuousClock.now - waiting < .seconds(2), "the server kept half-sent requests open")
            #expect(try await HTTPTestClient.request("/health", port: port).status == .ok)
        }
    }

    @Test func keepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        let limits = HTTPConnectionLimits(maximumConnections: 8, requestTimeout: .seconds(30), idleTimeout: .milliseconds(100))
        try await withServer(limits: limits) { port in
            let connection = try await HTTPTestClient.connect(port: port)
            let answered = try await connection.executeThenClose { inbound, outbound in
                try await HTTPTestClient.send(.GET, "/health", on: outbound)
                var parts = inbound.makeAsyncIterator()
                var status: HTTPResponseStatus?
                while let part = try await parts.next() {
                    if case .head(let head) = part { status = head.status }
                    if case .end = part { break }
                }
                #expect(status == .ok)
                let answered = ContinuousClock.now
                // Ends when the server closes the connection; the suite's time limit catches a hang.
                while try await parts.next() != nil {}
                return answered
            }
            #expect(ContinuousClock.now - answered >= .milliseconds(90))
        }
    }

    @Test func bodyOverTheLimitGets413() async throws {
        try await withServer(limits: HTTPConnectionLimits(maximumConnections: 8, maximumBodyBytes: 16)) { port in
            let refused = try await HTTPTestClient.request("/health", method: .POST, body: String(repeating: "a", count: 100), port: port)
            #expect(refused.status == .payloadTooLarge)
            #expect(refused.headers["connection"] == ["close"])
            let accepted = try await HTTPTestClient.request("/health", method: .POST, body: String(repeating: "a", count: 16), port: port)
            #expect(accepted.status == .ok)
        }
    }

    @Test func boundPortIsKnownBeforeRunAndStopBeforeRunEndsIt() async throws {
        let server = HTTPServer(host: "127.0.0.1", port: 0, routes: healthRoutes, logger: quietLogger)
        let address = try await server.bind()
        #expect(try await server.localPort() == address.port)
        await server.stop()
        await #expect(throws: HTTPServerError.notListening) { try await server.run() }
        await #expect(throws: HTTPServerError.notListening) { try await server.localPort() }
    }

    @Test func exactRoutesComeBeforePrefixesAndWrongMethodsNameTheAllowedOnes() async {
        var routes = HTTPRoutes()
        routes.on(.GET, pathPrefix: "/items/") { request in HTTPServerResponse(status: .ok, body: Array(request.path.utf8)) }
        routes.on(.DELETE, pathPrefix: "/items/") { _ in HTTPServerResponse(status: .noContent) }
        routes.on(.POST, "/items/new") { _ in HTTPServerResponse(status: .created) }
        #expect(await routes.response(to: HTTPServerRequest(method: .GET, uri: "/items/a?x=1")).body == Array("/items/a".utf8))
        #expect(await routes.response(to: HTTPServerRequest(method: .POST, uri: "/items/new")).status == .created)

        let wrongMethod = await routes.response(to: HTTPServerRequest(method: .PUT, uri: "/items/a"))
        #expect(wrongMethod.status == .methodNotAllowed)
        #expect(String(decoding: wrongMethod.body, as: UTF8.self) == #"{"error":"PUT not allowed on /items/a"}"#)
        #expect(wrongMethod.headers.first { $0.name == "allow" }?.value == "GET, DELETE")
        #expect(await routes.response(to: HTTPServerRequest(method: .GET, uri: "/items/new")).status == .methodNotAllowed)

        let unknown = await routes.response(to: HTTPServerRequest(method: .GET, uri: "/other"))
        #expect(unknown.status == .notFound)
        #expect(String(decoding: unknown.body, as: UTF8.self) == #"{"error":"no route for GET /other"}"#)
    }
}
