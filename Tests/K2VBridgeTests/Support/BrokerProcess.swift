import Foundation
import TestSupport

/// The built `broker` executable on 127.0.0.1, plain listener, no authorization (tests only);
/// `restart` starts it again on the same ports.
final class BrokerProcess: Sendable {
    let port: Int
    let httpPort: Int
    private let environment: [String: String]

    private init(port: Int, httpPort: Int, environment: [String: String]) {
        self.port = port
        self.httpPort = httpPort
        self.environment = environment
    }

    static func start(extra: [String: String] = [:]) async throws -> (BrokerProcess, ChildProcess) {
        let port = try await FreePort.find()
        let httpPort = try await FreePort.find()
        var environment = [
            "BROKER_BIND": "127.0.0.1", "BROKER_MQTT_PORT": "\(port)", "BROKER_MQTTS_PORT": "0",
            "BROKER_HTTP_PORT": "\(httpPort)", "BROKER_AUTHZ": "none", "LOG_LEVEL": "notice",
        ]
        environment.merge(extra) { _, new in new }
        let broker = BrokerProcess(port: port, httpPort: httpPort, environment: environment)
        return (broker, try await broker.launch())
    }

    func launch() async throws -> ChildProcess {
        let process = try await ChildProcess.spawn(
            try BuiltProducts.path("broker"), environment: environment, logFile: ChildProcess.temporaryLogFile("k2v-test-broker"))
        try await FreePort.waitUntilListening(port: port)
        return process
    }
}
