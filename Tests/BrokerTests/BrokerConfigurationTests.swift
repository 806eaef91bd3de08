import Broker
import ServiceRuntime
import Testing

@Suite struct BrokerConfigurationTests {
    func configuration(_ environment: [String: String]) throws -> BrokerConfiguration {
        var env = EnvironmentReader(environment)
        return try BrokerConfiguration(from: &env, hostname: "broker")
    }

    @Test func everyLimitHasADefault() throws {
        let configuration = try self.configuration([:])
        #expect(configuration.sessionExpirySeconds == Int64(604_800))
        #expect(configuration.limits.maxSessionsPerIdentity == 100)
        #expect(configuration.limits.maxRetainedMessages == 100_000)
        #expect(configuration.limits.maxRetainedBytes == 64 << 20)
        #expect(configuration.limits.maxConnectPacketBytes == 16_384)
        #expect(configuration.limits.maxConnections == 100_000)
        #expect(configuration.limits.maxConnectionsPerAddress == 1000)
    }

    @Test func zeroExpiryMeansNever() throws {
        #expect(try self.configuration(["BROKER_SESSION_EXPIRY_SEC": "0"]).sessionExpirySeconds == nil)
    }

    @Test func dataDirectoryIsOptionalAndBlankMeansMemoryOnly() throws {
        #expect(try self.configuration([:]).dataDirectory == nil)
        #expect(try self.configuration(["BROKER_DATA_DIR": " "]).dataDirectory == nil)
        #expect(try self.configuration(["BROKER_DATA_DIR": "/data/broker"]).dataDirectory == "/data/broker")
        #expect(try self.configuration([:]).endToEndAcknowledgement)
        #expect(try self.configuration(["BROKER_END_TO_END_ACK": "false"]).endToEndAcknowledgement == false)
    }

    @Test(arguments: [
        "BROKER_END_TO_END_ACK", "BROKER_MAX_UNACKED_PUBLISHES", "BROKER_MAX_SESSIONS_PER_IDENTITY", "BROKER_MAX_RETAINED_MESSAGES", "BROKER_MAX_RETAINED_BYTES",
        "BROKER_SESSION_EXPIRY_SEC",
        "BROKER_MAX_CONNECT_PACKET_BYTES", "BROKER_MAX_CONNECTIONS", "BROKER_MAX_CONNECTIONS_PER_ADDRESS",
    ])
    func badValueNamesTheVariable(_ name: String) {
        #expect {
            _ = try self.configuration([name: "lots"])
        } throws: { error in
            "\(error)".contains(name)
        }
    }
}
