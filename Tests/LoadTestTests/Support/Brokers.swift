import Broker
import Foundation
import LoadTest
import Logging
import MQTTAuthorization
import NIOPosix
import TestSupport

extension BrokerConfiguration.TLSFiles {
    /// The broker's files among `LocalCertificates` (CRL checking off: these certificates are
    /// never revoked).
    static func localCertificates(_ directory: String) -> Self {
        Self(ca: "\(directory)/ca/ca.pem", certificate: "\(directory)/server/cert.pem", key: "\(directory)/server/private.key", crl: nil)
    }
}

/// Our `broker` executable (own process, so its `/metrics` counts this test's traffic only).
final class BrokerProcess: @unchecked Sendable {
    // @unchecked: only the test task that owns it touches the process.
    let mqttPort: Int
    let httpPort: Int
    private let process: ChildProcess

    init() async throws {
        self.mqttPort = try await FreePort.find()
        self.httpPort = try await FreePort.find()
        self.process = try await ChildProcess.spawn(
            try BuiltProducts.path("broker"), [],
            environment: [
                "BROKER_BIND": "127.0.0.1", "BROKER_MQTT_PORT": "\(mqttPort)", "BROKER_MQTTS_PORT": "0",
                "BROKER_HTTP_PORT": "\(httpPort)", "LOG_LEVEL": "warning",
            ])
        try await FreePort.waitUntilListening(port: self.mqttPort)
    }

    /// The value of one sample of `/metrics`, e.g. `broker_messages_received_total{qos="1"}`.
    func metric(_ sample: String) async throws -> Double {
        let output = try await Curl.get("http://127.0.0.1:\(httpPort)/metrics")
        for line in output.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1)) ?? .nan
        }
        return 0
    }

    /// Ends the broker at once (clean-up, also from `defer`).
    func stop() { self.process.kill() }
}

enum Curl {
    static func get(_ url: String) async throws -> String {
        let output = try await ProcessRunner.run("/usr/bin/curl", ["-sf", "--max-time", "5", url], timeout: .seconds(10))
        guard output.status == 0 else { throw TestFailure("curl \(url): status \(output.status)") }
        return output.standardOutput
    }
}
