import MQTTCore
import ServiceRuntime
import Testing

@testable import K2VBridge

@Suite struct K2VConfigurationTests {
    func read(_ environment: [String: String]) throws(ConfigurationError) -> K2VConfiguration {
        var reader = EnvironmentReader(environment)
        return try K2VConfiguration(from: &reader, hostname: "k2v-bridge-0")
    }

    @Test func defaultsFollowTheSpecification() throws {
        let configuration = try read(["K2V_MQTT_PROTOCOL": "mqtt"])
        #expect(configuration.hostname == "k2v-bridge-0")
        #expect(configuration.mqttHost == "iotagent-mqtt" && configuration.mqttPort == 8883)
        #expect(configuration.certificateFile == "/certs/k2v-bridge-0.crt" && configuration.keyFile == "/certs/k2v-bridge-0.key")
        #expect(configuration.caFile == "/certs/ca.crt" && configuration.rejectUnauthorized)
        #expect(configuration.events == ["configure"] && configuration.publishQoS == .atLeastOnce)
        #expect(configuration.maxInflight == 1000 && configuration.httpPort == 9000)
        #expect(configuration.kafka["metadata.broker.list"] == "kafka:9092")
        #expect(configuration.kafka["group.id"] == "k2v-bridge-group-id")
        #expect(configuration.kafka["auto.offset.reset"] == "earliest")
        #expect(configuration.topicPattern == #"^.+\.dojot\.device-manager\.device$"#)
    }

    @Test func variablesOverrideDefaultsAndPassThroughToLibrdkafka() throws {
        let configuration = try read([
            "K2V_MQTT_PROTOCOL": "mqtt", "K2V_APP_HOSTNAME": "k2v-bridge-7", "K2V_EVENTS": "configure, update",
            "K2V_PUBLISH_QOS": "2", "K2V_CONSUMER_GROUP_ID": "other", "K2V_CONSUMER_METADATA_BROKER_LIST": "k:1",
            "K2V_CONSUMER_SESSION_TIMEOUT_MS": "6000", "K2V_MESSENGER_CONSUMER_TOPIC_SUFFIX": "a.b+c",
        ])
        #expect(configuration.hostname == "k2v-bridge-7" && configuration.kafka["client.id"] == "k2v-bridge-7")
        #expect(configuration.events == ["configure", "update"] && configuration.publishQoS == .exactlyOnce)
        #expect(configuration.kafka["group.id"] == "other" && configuration.kafka["metadata.broker.list"] == "k:1")
        #expect(configuration.kafka["session.timeout.ms"] == "6000")
        #expect(configuration.topicPattern == #"^.+\.a\.b\+c$"#)
    }

    @Test(arguments: [
        (["K2V_MQTT_PROTOCOL": "ws"], "K2V_MQTT_PROTOCOL"),
        (["K2V_MQTT_PORT": "0"], "K2V_MQTT_PORT"),
        (["K2V_PUBLISH_QOS": "3"], "K2V_PUBLISH_QOS"),
        (["K2V_MAX_INFLIGHT": "0"], "K2V_MAX_INFLIGHT"),
        (["K2V_EVENTS": ","], "K2V_EVENTS"),
        (["K2V_MQTT_REJECT_UNAUTHORIZED": "maybe"], "K2V_MQTT_REJECT_UNAUTHORIZED"),
        (["K2V_HTTP_PORT": "70000"], "K2V_HTTP_PORT"),
        (["K2V_MQTT_MAX_PACKET_BYTES": "10"], "K2V_MQTT_MAX_PACKET_BYTES"),
        (["K2V_CONSUMER_SESSION_TIMEOUT_MS": "soon"], "K2V_CONSUMER_SESSION_TIMEOUT_MS"),
    ])
    func badValuesNameTheirVariable(environment: [String: String], variable: String) {
        var environment = environment
        if environment["K2V_MQTT_PROTOCOL"] == nil { environment["K2V_MQTT_PROTOCOL"] = "mqtt" }
        #expect { try read(environment) } throws: { ($0 as? ConfigurationError)?.variable == variable }
    }

    @Test func mutualTLSNeedsItsFiles() {
        #expect { try read([:]) } throws: { ($0 as? ConfigurationError)?.variable == "K2V_MQTT_CA" }
    }
}
