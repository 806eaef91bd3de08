import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Testing
import UnixSignals

@testable import ServiceRuntime

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite(.timeLimit(.minutes(1))) struct ServiceMainTests {
    @Test func badConfigurationValueExitsWithCode2AndOneLineNamingTheVariable() async throws {
        let capture = LogCapture()
        let code = await ServiceMain.runServices(
            environment: EnvironmentReader(["BROKER_MQTT_PORT": "abc"]),
            logger: capture.logger(),
            gracefulShutdownSignals: []
        ) { environment, _ in
            _ = try environment.port("BROKER_MQTT_PORT", default: 1883)
            return []
        }
        #expect(code == 2)
        let lines = try capture.objects()
        #expect(lines.count == 1)
        #expect(lines.first?["level"] as? String == "critical")
        #expect(
            lines.first?["message"] as? String
                == #"invalid configuration: BROKER_MQTT_PORT: "abc" is not a port (0-65535)"#
        )
        #expect(lines.first?["variable"] as? String == "BROKER_MQTT_PORT")
    }

    @Test func otherStartUpErrorsExitWithCode1() async {
        struct CannotOpen: Error {}
        let code = await ServiceMain.runServices(
            environment: EnvironmentReader([:]),
            logger: LogCapture().logger(),
            gracefulShutdownSignals: []
        ) { _, _ in throw CannotOpen() }
        #expect(code == 1)
    }

    /// The whole path: configuration logged, services run, a signal shuts them down, exit code 0.
    /// SIGUSR2 stands in for SIGTERM so that the test process keeps its own SIGTERM handling; the
    /// service group traps it before any service starts, so it is never delivered unhandled.
    @Test func signalShutsTheServicesDownGracefullyWithCode0() async throws {
        let capture = LogCapture()
        let started = AsyncStream.makeStream(of: OpsHTTPServer.self)
        let running = Task {
            await ServiceMain.runServices(
                environment: EnvironmentReader(["TEST_OPS_PORT": "0", "TEST_API_TOKEN": "hunter2"]),
                logger: capture.logger(level: .info),
                gracefulShutdownSignals: [.sigusr2]
            ) { environment, logger in
                let port = try environment.port("TEST_OPS_PORT", default: 9000)
                _ = environment.string("TEST_API_TOKEN", default: "")
                let server = OpsHTTPServer(
                    host: "127.0.0.1",
                    port: port,
                    metrics: PrometheusCollectorRegistry(),
                    logger: logger
                )
                started.continuation.yield(server)
                return [server]
            }
        }
        var servers = started.stream.makeAsyncIterator()
        let server = try #require(await servers.next())
        let port = try await server.localPort()
        #expect(try await HTTPTestClient.request("/health", port: port).status == .ok)

        kill(getpid(), SIGUSR2)
        #expect(await running.value == 0)

        let messages = try capture.objects()
        let configuration = try #require(messages.first { $0["message"] as? String == "effective configuration" })
        #expect(configuration["TEST_OPS_PORT"] as? String == "0")
        #expect(configuration["TEST_API_TOKEN"] as? String == "<redacted>")
        #expect(messages.contains { $0["message"] as? String == "stopped" })
    }
}

@Suite struct CommandLineRequestTests {
    @Test func argumentsAskForHelpVersionOrNothing() {
        #expect(CommandLineRequest([]) == .run)
        #expect(CommandLineRequest(["--help"]) == .help)
        #expect(CommandLineRequest(["-h"]) == .help)
        #expect(CommandLineRequest(["--version"]) == .version)
        #expect(CommandLineRequest(["--port", "1883"]) == .unknown("--port"))
        #expect(CommandLineRequest(["--help", "extra"]) == .unknown("extra"))
    }
}
