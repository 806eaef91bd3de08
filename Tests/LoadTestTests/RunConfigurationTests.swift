import LoadTest
import MQTTCore
import ServiceRuntime
import Testing

struct RunConfigurationTests {
    @Test func readsTheEnvironment() throws {
        var env = EnvironmentReader([
            "LOADTEST_HOST": "broker", "LOADTEST_DEVICES": "300", "LOADTEST_RAMP_UP": "10", "LOADTEST_QOS": "0",
            "LOADTEST_CERT_DIR": "/tmp/devices", "LOADTEST_KAFKA_BROKERS": "k:9092", "LOADTEST_CONSUMER_FETCH_WAIT_MAX_MS": "50",
        ])
        let configuration = try RunConfiguration(from: &env)
        #expect(configuration.host == "broker")
        #expect(configuration.port == 8883)
        #expect(configuration.connectRate == 30)
        #expect(configuration.qos == .atMostOnce)
        #expect(configuration.transport == .mutualTLS(DeviceCertificates(directory: "/tmp/devices")))
        #expect(configuration.kafkaConsumer["fetch.wait.max.ms"] == "50")
        #expect(configuration.dataTopic == "admin.device-data")
    }

    @Test(arguments: [
        ("LOADTEST_QOS", "3"), ("LOADTEST_DEVICES", "many"), ("LOADTEST_TEMPLATE", "[1]"), ("LOADTEST_MAX_ERROR_RATE", "2"),
    ])
    func badValuesNameTheirVariable(name: String, value: String) {
        var env = EnvironmentReader([name: value])
        #expect { try RunConfiguration(from: &env) } throws: { ($0 as? ConfigurationError)?.variable == name }
    }

    @Test func configRoundTripsNeedKafka() {
        var env = EnvironmentReader(["LOADTEST_CONFIG_INTERVAL": "5"])
        #expect { try RunConfiguration(from: &env) } throws: { ($0 as? ConfigurationError)?.variable == "LOADTEST_KAFKA_BROKERS" }
    }
}
