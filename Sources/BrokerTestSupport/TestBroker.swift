import Broker
import Logging
import MQTTAuthorization
import NIOCore
import NIOPosix

/// Our broker in the test process on 127.0.0.1, with its own two event loops (so that
/// cross-loop delivery is exercised), stopped by ``withTestBroker`` when the test ends.
public struct TestBroker: Sendable {
    /// The plain listener's port, or the mutual-TLS one when the plain listener is off.
    public let port: Int
    /// The mutual-TLS listener's port, when the test turned it on.
    public let tlsPort: Int?
    public let group: MultiThreadedEventLoopGroup
    public let server: BrokerServer
}

/// Starts a broker on free ports (the plain listener unless `plain` is false; mutual TLS with
/// `tls`), runs `body`, then stops the broker whether or not `body` threw.
public func withTestBroker<T>(
    tls: BrokerConfiguration.TLSFiles? = nil,
    plain: Bool = true,
    limits: (inout BrokerLimits) -> Void = { _ in },
    configure: (inout BrokerConfiguration) -> Void = { _ in },
    authorizer: any Authorizer = AllowAllAuthorizer(),
    _ body: (TestBroker) async throws -> T
) async throws -> T {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    var configuration = BrokerConfiguration(tls: tls ?? .init(ca: "", certificate: "", key: "", crl: nil))
    configuration.bindHost = "127.0.0.1"
    configuration.mqttPort = plain ? 0 : nil
    configuration.mqttsPort = tls == nil ? nil : 0
    limits(&configuration.limits)
    configure(&configuration)
    var logger = Logger(label: "test-broker")
    logger.logLevel = .critical
    let server = try BrokerServer(configuration: configuration, authorizer: authorizer, group: group, logger: logger)
    let ports = try await server.start()
    do {
        let result = try await body(TestBroker(port: ports.mqtt ?? ports.mqtts ?? 0, tlsPort: ports.mqtts, group: group, server: server))
        await server.stop()
        try await group.shutdownGracefully()
        return result
    } catch {
        await server.stop()
        try await group.shutdownGracefully()
        throw error
    }
}
