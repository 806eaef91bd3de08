import Testing

@testable import ServiceRuntime

@Suite struct PassThroughTests {
    @Test(arguments: [
        ("METADATA_BROKER_LIST", "metadata.broker.list"),
        ("X__Y", "x_y"),
        ("ACKS", "acks"),
        ("ENABLE_IDEMPOTENCE", "enable.idempotence"),
        ("SASL__OAUTHBEARER_CONFIG", "sasl_oauthbearer.config"),
        ("A___B", "a_.b"),
    ])
    func variableKeysMapToPropertyNames(key: String, property: String) {
        #expect(EnvironmentReader.propertyName(forPassThroughKey: Substring(key)) == property)
    }

    @Test(arguments: ["metadata.broker.list", "x_y", "acks", "sasl_oauthbearer.config"])
    func propertyNamesMapBackToTheirVariableKeys(property: String) {
        let key = EnvironmentReader.passThroughKey(forProperty: property)
        #expect(EnvironmentReader.propertyName(forPassThroughKey: Substring(key)) == property)
    }

    @Test func prefixedVariablesOverrideDefaultsAndOthersAreIgnored() {
        var reader = EnvironmentReader([
            "V2K_PRODUCER_METADATA_BROKER_LIST": "127.0.0.1:9092",
            "V2K_PRODUCER_SASL_PASSWORD": "hunter2",
            "V2K_PRODUCER_": "ignored",
            "V2K_MQTT_HOST": "broker",
        ])
        let properties = reader.passThrough(
            prefix: "V2K_PRODUCER_",
            defaults: ["metadata.broker.list": "kafka:9092", "acks": "all"]
        )
        #expect(properties == ["metadata.broker.list": "127.0.0.1:9092", "acks": "all", "sasl.password": "hunter2"])

        let logged = Dictionary(uniqueKeysWithValues: reader.effectiveConfiguration.map { ($0.name, $0) })
        #expect(logged["V2K_PRODUCER_METADATA_BROKER_LIST"]?.loggableValue == "127.0.0.1:9092")
        #expect(logged["V2K_PRODUCER_ACKS"]?.isSet == false)
        #expect(logged["V2K_PRODUCER_SASL_PASSWORD"]?.loggableValue == "<redacted>")
        #expect(logged.count == 3)
    }
}
