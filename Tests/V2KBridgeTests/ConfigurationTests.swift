import Kafka
import MQTTCore
import ServiceRuntime
import Testing

@testable import V2KBridge

@Suite struct V2KConfigurationTests {
    private func configuration(_ environment: [String: String]) throws(ConfigurationError) -> V2KConfiguration {
        var reader = EnvironmentReader(["V2K_MQTT_PROTOCOL": "mqtt"].merging(environment) { $1 })
        return try V2KConfiguration(from: &reader, hostname: "v2k-bridge-7f9c")
    }

    @Test func defaultsFollowTheSpecification() throws {
        let configuration = try configuration([:])
        #expect(configuration.mqttHost == "iotagent-mqtt")
        #expect(configuration.mqttPort == 8883)
        #expect(configuration.clientID == "v2k-bridge-7f9c")
        #expect(configuration.username == "v2k-bridge-7f9c")
        #expect(configuration.tls.certificate == "/certs/v2k-bridge-7f9c.crt")
        #expect(configuration.subscriptionTopic == "$share/group/+/attrs")
        #expect(configuration.subscriptionQoS == .atLeastOnce)
        #expect(configuration.topicSuffix == "device-data")
        #expect(configuration.maxInflight == 1000)
        #expect(configuration.deadLetterTopic == nil)
        #expect(configuration.httpPort == 9000)
        #expect(
            configuration.producer.properties == [
                "metadata.broker.list": "kafka:9092", "acks": "all", "enable.idempotence": "true", "compression.codec": "lz4",
            ])
    }

    @Test func appHostnameNamesTheClientAndItsFiles() throws {
        let configuration = try configuration(["V2K_APP_HOSTNAME": "v2k-1"])
        #expect(configuration.clientID == "v2k-1")
        #expect(configuration.tls.key == "/certs/v2k-1.key")
    }

    @Test func producerVariablesPassThrough() throws {
        let configuration = try configuration([
            "V2K_PRODUCER_METADATA_BROKER_LIST": "k1:9092,k2:9092", "V2K_PRODUCER_LINGER_MS": "10",
            "V2K_PRODUCER_COMPRESSION_CODEC": "gzip", "V2K_PRODUCER_QUEUE_BUFFERING_MAX_KBYTES": "2048",
        ])
        #expect(configuration.producer["metadata.broker.list"] == "k1:9092,k2:9092")
        #expect(configuration.producer["linger.ms"] == "10")
        #expect(configuration.producer["compression.codec"] == "gzip")
        #expect(configuration.producer["queue.buffering.max.kbytes"] == "2048")
    }

    @Test(arguments: [
        ("V2K_MQTT_PORT", "0"), ("V2K_MQTT_PROTOCOL", "http"), ("V2K_MQTT_REJECT_UNAUTHORIZED", "maybe"),
        ("V2K_SUBSCRIPTION_QOS", "3"), ("V2K_SUBSCRIPTION_TOPIC", "a/#/b"), ("V2K_MAX_INFLIGHT", "0"),
        ("V2K_MESSENGER_PRODUCE_TOPIC_SUFFIX", "device data"), ("V2K_DEAD_LETTER_TOPIC", "bad/topic"),
        ("V2K_HTTP_PORT", "70000"), ("V2K_MQTT_CLEAN", "true"), ("V2K_PRODUCER_LINGER_MS", "soon"),
        ("V2K_PRODUCER_NO_SUCH_PROPERTY", "1"), ("V2K_MQTT_KEEP_ALIVE", "0"),
    ])
    func badValuesNameTheirVariable(_ variable: String, _ value: String) {
        #expect {
            try configuration([variable: value])
        } throws: { error in
            (error as? ConfigurationError)?.variable == variable
        }
    }

    @Test func mutualTLSNeedsItsFiles() {
        var reader = EnvironmentReader(["V2K_MQTT_CA": "/nonexistent/ca.crt"])
        #expect(throws: ConfigurationError.self) { try V2KConfiguration(from: &reader, hostname: "h") }
    }
}
