import Broker
import Logging
import MQTTAuthorization
import NIOCore
import NIOPosix

/// Our broker on 127.0.0.1 and a free plain port, stopped when `body` ends.
func withTestBroker<T>(
    maxInflight: Int = 1000,
    authorizer: any Authorizer = AllowAllAuthorizer(),
    configure: (inout BrokerConfiguration) -> Void = { _ in },
    _ body: (_ port: Int) async throws -> T
) async throws -> T {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    var configuration = BrokerConfiguration(tls: .init(ca: "", certificate: "", key: "", crl: nil))
    configuration.bindHost = "127.0.0.1"
    configuration.mqttPort = 0
    configuration.mqttsPort = nil
    configuration.limits.maxInflight = maxInflight
    configure(&configuration)
    var logger = Logger(label: "test-broker")
    logger.logLevel = .critical
    let server = try BrokerServer(configuration: configuration, authorizer: authorizer, group: group, logger: logger)
    let ports = try await server.start()
    do {
        let result = try await body(ports.mqtt ?? ports.mqtts ?? 0)
        await server.stop()
        try await group.shutdownGracefully()
        return result
    } catch {
        await server.stop()
        try await group.shutdownGracefully()
        throw error
    }
}
