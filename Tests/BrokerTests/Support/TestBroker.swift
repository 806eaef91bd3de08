import Broker
import Logging
import MQTTAuthorization
import NIOCore
import NIOPosix

/// A broker on 127.0.0.1 and a free port, with its own two event loops (so that cross-loop
/// delivery is exercised), stopped by `withTestBroker` when the test ends.
struct TestBroker {
    let port: Int
    /// The mutual-TLS listener's port, when the test turned it on.
    var tlsPort: Int?
    let group: MultiThreadedEventLoopGroup
    let server: BrokerServer
}

func withTestBroker<T>(
    limits: (inout BrokerLimits) -> Void = { _ in },
    configure: (inout BrokerConfiguration) -> Void = { _ in },
    authorizer: any Authorizer = AllowAllAuthorizer(),
    _ body: (TestBroker) async throws -> T
) async throws -> T {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    var configuration = BrokerConfiguration(tls: .init(ca: "", certificate: "", key: "", crl: nil))
    configuration.bindHost = "127.0.0.1"
    configuration.mqttPort = 0
    configuration.mqttsPort = nil
    limits(&configuration.limits)
    configure(&configuration)
    var logger = Logger(label: "test-broker")
    logger.logLevel = .critical
    let server = try BrokerServer(configuration: configuration, authorizer: authorizer, group: group, logger: logger)
    let ports = try await server.start()
    do {
        let result = try await body(TestBroker(port: ports.mqtt ?? 0, tlsPort: ports.mqtts, group: group, server: server))
        await server.stop()
        try await group.shutdownGracefully()
        return result
    } catch {
        await server.stop()
        try await group.shutdownGracefully()
        throw error
    }
}
