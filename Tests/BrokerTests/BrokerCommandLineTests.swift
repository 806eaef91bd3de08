import Foundation
import TestSupport
import Testing

/// The real executable: `--help` lists the settings without starting anything, a stray argument
/// stops it instead of starting a broker with defaults.
@Suite struct BrokerCommandLineTests {
    @Test func helpListsEverySettingWithItsDefaultAndExits() async throws {
        let output = try await ProcessRunner.run(try BuiltProducts.path("broker"), ["--help"], timeout: .seconds(10))
        #expect(output.status == 0)
        for setting in ["BROKER_MQTTS_PORT", "BROKER_MAX_CONNECT_PACKET_BYTES", "BROKER_MAX_CONNECTIONS_PER_ADDRESS", "BROKER_DATA_DIR", "LOG_LEVEL"] {
            #expect(output.standardOutput.contains(setting), "\(setting) missing from --help")
        }
        #expect(output.standardOutput.contains("100000  (default)"))
    }

    @Test func versionAndUnknownArguments() async throws {
        let broker = try BuiltProducts.path("broker")
        let version = try await ProcessRunner.run(broker, ["--version"], timeout: .seconds(10))
        #expect(version.status == 0 && version.standardOutput.hasPrefix("broker "))
        let unknown = try await ProcessRunner.run(broker, ["--port", "1883"], timeout: .seconds(10))
        #expect(unknown.status == 2)
        #expect(unknown.standardError.contains("unknown argument \"--port\""))
    }
}
