import Kafka
import Testing

@Suite struct KafkaConfigurationTests {
    @Test func unknownPropertyIsRejectedNamingIt() {
        let error = #expect(throws: KafkaError.self) {
            try KafkaConfiguration(["bootstrap.servers": "localhost:9092", "no.such.property": "1"]).validate()
        }
        #expect(error?.property == "no.such.property")
        #expect(error?.message.contains("no.such.property") == true)
        #expect(error?.isRetriable == false)
    }

    @Test func invalidValueIsRejectedNamingIt() {
        let error = #expect(throws: KafkaError.self) {
            try KafkaConfiguration(["acks": "sometimes"]).validate()
        }
        #expect(error?.property == "acks")
        #expect(error?.message.contains("acks") == true)
    }

    @Test func producerCreationFailsOnAnInvalidConfiguration() {
        let error = #expect(throws: KafkaError.self) {
            _ = try KafkaProducer(configuration: KafkaConfiguration(["compression.codec": "zip"]), logger: testLogger) { _, _ in }
        }
        #expect(error?.property == "compression.codec")
    }

    @Test func secretsAreRedactedInTheDescription() {
        let configuration = KafkaConfiguration(["sasl.password": "hunter2", "acks": "all"])
        #expect(configuration.description == "acks=all sasl.password=<redacted>")
    }

    @Test func transientCodesAreRetriableAndNamed() {
        let timedOut = KafkaError(code: .messageTimedOut, message: "timed out")
        #expect(timedOut.isRetriable)
        #expect(!timedOut.isFatal)
        #expect(timedOut.codeName == "_MSG_TIMED_OUT")
        let invalid = KafkaError(code: .invalidArgument, message: "bad")
        #expect(!invalid.isRetriable)
    }
}

@Suite struct KafkaConfigurationEnvironmentTests {
    @Test func prefixedVariablesBecomeLibrdkafkaProperties() {
        let configuration = KafkaConfiguration(
            environment: [
                "V2K_PRODUCER_METADATA_BROKER_LIST": "kafka:9092",
                "V2K_PRODUCER_ENABLE_IDEMPOTENCE": "true",
                "V2K_PRODUCER_SASL__X": "1",
                "V2K_MQTT_HOST": "broker",
                "V2K_PRODUCER_": "ignored",
            ],
            prefix: "V2K_PRODUCER_"
        )
        #expect(
            configuration.properties == [
                "metadata.broker.list": "kafka:9092",
                "enable.idempotence": "true",
                "sasl_x": "1",
            ])
    }
}
