import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle
import Testing

@testable import ServiceRuntime

@Suite(.timeLimit(.minutes(1))) struct OpsHTTPServerTests {
    /// Runs an ops server on 127.0.0.1 port 0 inside a `ServiceGroup`, hands its port to `body`,
    /// then shuts the group down gracefully and waits for it.
    private func withServer(
        readiness: @escaping ReadinessCheck = { [] },
        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        _ body: (Int) async throws -> Void
    ) async throws {
        let server = OpsHTTPServer(
            host: "127.0.0.1",
            port: 0,
            readiness: readiness,
            metrics: metrics,
            logger: quietLogger
        )
        let group = ServiceGroup(services: [server], logger: quietLogger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try await server.localPort()
            do {
                try await body(port)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    private var quietLogger: Logger {
        var logger = Logger(label: "ops-test")
        logger.logLevel = .critical
        return logger
    }

    @Test func healthAnswersOK() async throws {
        try await withServer { port in
            let response = try await HTTPTestClient.request("/health", port: port)
            #expect(response.status == .ok)
            #expect(response.body == #"{"status":"ok"}"#)
            #expect(response.headers["content-type"] == ["application/json"])
        }
    }

    @Test func readyAnswers503NamingWhatIsNotReadyThen200() async throws {
        let readiness = ReadinessState(waitingFor: ["mqtt", "kafka"])
        readiness.markReady("mqtt")
        try await withServer(readiness: readiness.check) { port in
            let waiting = try await HTTPTestClient.request("/ready", port: port)
            #expect(waiting.status == .serviceUnavailable)
            #expect(waiting.body == #"{"status":"not ready","waiting":["kafka"]}"#)

            readiness.markReady("kafka")
            let ready = try await HTTPTestClient.request("/ready", port: port)
            #expect(ready.status == .ok)

            readiness.markNotReady("kafka")
            #expect(try await HTTPTestClient.request("/ready", port: port).status == .serviceUnavailable)
        }
    }

    @Test func metricsServesPrometheusTextWithARegistryCounter() async throws {
        let registry = PrometheusCollectorRegistry()
        let descriptor = MetricNameDescriptor(metricName: "ops_test_registry", unitName: "total", helpText: "test")
        registry.makeCounter(descriptor: descriptor, labels: [("kind", "a")]).increment(by: Int64(2))
        try await withServer(metrics: registry) { port in
            let response = try await HTTPTestClient.request("/metrics?x=1", port: port)
            #expect(response.status == .ok)
            #expect(response.headers["content-type"] == ["text/plain; version=0.0.4"])
            #expect(response.body.contains(#"ops_test_registry_total{kind="a"} 2"#))
        }
    }

    @Test func metricsServesCountersMadeThroughSwiftMetrics() async throws {
        let registry = MetricsBootstrap.bootstrap()
        Counter(label: "ops_test_swift_metrics_total").increment(by: 3)
        try await withServer(metrics: registry) { port in
            let response = try await HTTPTestClient.request("/metrics", port: port)
            #expect(response.body.contains("ops_test_swift_metrics_total 3"))
        }
    }

    @Test func unknownPathIs404AndOtherMethodsAre405() async throws {
        try await withServer { port in
            #expect(try await HTTPTestClient.request("/nope", port: port).status == .notFound)
            let post = try await HTTPTestClient.request("/health", method: .POST, port: port)
            #expect(post.status == .methodNotAllowed)
            #expect(post.headers["allow"] == ["GET"])
        }
    }

    @Test func keepAliveConnectionServesSeveralRequests() async throws {
        try await withServer { port in
            let connection = try await HTTPTestClient.connect(port: port)
            try await connection.executeThenClose { inbound, outbound in
                var responses = inbound.makeAsyncIterator()
                for path in ["/health", "/ready", "/nope"] {
                    try await HTTPTestClient.send(.GET, path, on: outbound)
                    var status: HTTPResponseStatus?
                    while let part = try await responses.next() {
                        if case .head(let head) = part { status = head.status }
                        if case .end = part { break }
                    }
                    #expect(status == (path == "/nope" ? .notFound : .ok))
                }
            }
        }
    }

    @Test func gracefulShutdownClosesThePortAndOpenConnections() async throws {
        let server = OpsHTTPServer(
            host: "127.0.0.1",
            port: 0,
            metrics: PrometheusCollectorRegistry(),
            logger: quietLogger
        )
        let group = ServiceGroup(services: [server], logger: quietLogger)
        let running = Task { try await group.run() }
        let port = try await server.localPort()
        let idle = try await HTTPTestClient.connect(port: port)
        #expect(try await HTTPTestClient.request("/health", port: port).status == .ok)

        await group.triggerGracefulShutdown()
        try await running.value

        // The idle keep-alive connection was closed by the server.
        try await idle.executeThenClose { inbound, _ in
            for try await _ in inbound {}
        }
        await #expect(throws: (any Error).self) { try await HTTPTestClient.request("/health", port: port) }
        await #expect(throws: HTTPServerError.notListening) { try await server.localPort() }
    }

    @Test func idleConnectionIsClosedAfterTheRequestTimeout() async throws {
        let server = OpsHTTPServer(
            host: "127.0.0.1",
            port: 0,
            metrics: PrometheusCollectorRegistry(),
            limits: HTTPConnectionLimits(maximumConnections: 64, requestTimeout: .milliseconds(100)),
            logger: quietLogger
        )
        let group = ServiceGroup(services: [server], logger: quietLogger)
        let running = Task { try await group.run() }
        let port = try await server.localPort()
        // Before connecting: the server's idle timer starts when it accepts the connection.
        let start = ContinuousClock.now
        let idle = try await HTTPTestClient.connect(port: port)
        // Ends when the server closes the connection; the suite's time limit catches a hang.
        try await idle.executeThenClose { inbound, _ in
            for try await _ in inbound {}
        }
        #expect(ContinuousClock.now - start >= .milliseconds(90))
        await group.triggerGracefulShutdown()
        try await running.value
    }

    @Test func runFailsWhenThePortIsTaken() async throws {
        try await withServer { port in
            let second = OpsHTTPServer(
                host: "127.0.0.1",
                port: port,
                metrics: PrometheusCollectorRegistry(),
                logger: quietLogger
            )
            let waiter = Task { try await second.localPort() }
            await #expect(throws: (any Error).self) { try await second.run() }
            await #expect(throws: (any Error).self) { try await waiter.value }
        }
    }

    @Test func routesAnswerWithoutSockets() async {
        let routes = OpsRoutes.table(readiness: { ["a\"b"] }, metrics: PrometheusCollectorRegistry())
        let ready = await routes.response(to: HTTPServerRequest(method: .GET, uri: "/ready"))
        #expect(String(decoding: ready.body, as: UTF8.self) == #"{"status":"not ready","waiting":["a\"b"]}"#)
        #expect(await routes.response(to: HTTPServerRequest(method: .DELETE, uri: "/nope")).status == .notFound)
        #expect(await routes.response(to: HTTPServerRequest(method: .HEAD, uri: "/metrics")).status == .methodNotAllowed)
    }
}
