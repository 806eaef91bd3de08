import Foundation
import Kafka
import MQTTCore
import ServiceRuntime

/// Everything the bridge reads from the environment, validated once at start-up.
public struct V2KConfiguration: Sendable {
    public enum MQTTProtocol: String, Sendable, CaseIterable {
        /// Mutual TLS.
        case mqtts
        /// Plain TCP, for development.
        case mqtt
    }

    public struct TLSFiles: Sendable, Hashable {
        public var ca: String
        public var certificate: String
        public var key: String
    }

    public var mqttHost = "iotagent-mqtt"
    public var mqttPort = 8883
    public var mqttProtocol = MQTTProtocol.mqtts
    public var tls: TLSFiles
    /// Verify the broker's certificate chain and host name.
    public var rejectUnauthorized = true
    public var clientID: String
    public var username: String
    public var keepAliveSeconds = 60
    public var subscriptionTopic = "$share/group/+/attrs"
    public var subscriptionQoS = QoS.atLeastOnce
    public var topicSuffix = "device-data"
    /// Unacknowledged messages at most (the broker's own per-session window caps it too).
    public var maxInflight = 1000
    public var deadLetterTopic: String?
    public var producer: KafkaConfiguration
    public var httpBind = "0.0.0.0"
    public var httpPort = 9000
    /// How often Kafka's reachability is checked for `/ready`.
    public var kafkaHealthInterval = Duration.seconds(5)
    /// Graceful shutdown: how long to wait for outstanding delivery reports.
    public var drainTimeout = Duration.seconds(10)
    /// Graceful shutdown: how long the producer may take to flush what is left.
    public var flushTimeout = Duration.seconds(2)

    public static let producerDefaults = [
        "metadata.broker.list": "kafka:9092",
        "acks": "all",
        "enable.idempotence": "true",
        "compression.codec": "lz4",
    ]

    /// A configuration for tests and embedding: plain MQTT to `host:port`, Kafka at `bootstrap`.
    public init(mqttHost: String, mqttPort: Int, clientID: String, bootstrapServers: String) {
        self.mqttHost = mqttHost
        self.mqttPort = mqttPort
        self.mqttProtocol = .mqtt
        self.tls = TLSFiles(ca: "", certificate: "", key: "")
        self.clientID = clientID
        self.username = clientID
        self.producer = KafkaConfiguration(Self.producerDefaults.merging(["metadata.broker.list": bootstrapServers]) { $1 })
    }

    public init(from env: inout EnvironmentReader, hostname: String) throws(ConfigurationError) {
        let appHostname = try env.optionalNonBlank("V2K_APP_HOSTNAME") ?? hostname
        mqttHost = env.string("V2K_MQTT_HOST", default: "iotagent-mqtt")
        mqttPort = try env.int("V2K_MQTT_PORT", default: 8883, in: 1...65535)
        mqttProtocol = try env.enumeration("V2K_MQTT_PROTOCOL", default: .mqtts)
        let requireFiles = mqttProtocol == .mqtts
        tls = TLSFiles(
            ca: try env.filePath("V2K_MQTT_CA", default: "/certs/ca.crt", mustExist: requireFiles),
            certificate: try env.filePath("V2K_MQTT_CERT", default: "/certs/\(appHostname).crt", mustExist: requireFiles),
            key: try env.filePath("V2K_MQTT_KEY", default: "/certs/\(appHostname).key", mustExist: requireFiles)
        )
        rejectUnauthorized = try env.bool("V2K_MQTT_REJECT_UNAUTHORIZED", default: true)
        // The dojot names of the original's `mqtt.*` scope.
        clientID = env.string("V2K_MQTT_CLIENT_ID", default: appHostname)
        username = env.string("V2K_MQTT_USERNAME", default: appHostname)
        keepAliveSeconds = try env.int("V2K_MQTT_KEEP_ALIVE", default: 60, in: 1...65535)
        if try env.bool("V2K_MQTT_CLEAN", default: false) {
            throw .invalidValue("V2K_MQTT_CLEAN", value: "true", expected: "false (a persistent session is what keeps unacknowledged messages)")
        }
        guard !clientID.isEmpty, clientID.utf8.count <= 256 else {
            throw .invalidValue("V2K_MQTT_CLIENT_ID", value: clientID, expected: "1 to 256 bytes")
        }

        subscriptionTopic = env.string("V2K_SUBSCRIPTION_TOPIC", default: "$share/group/+/attrs")
        do {
            try Topic.validateFilter(subscriptionTopic)
            _ = try SharedFilter.parse(subscriptionTopic)
        } catch {
            throw .invalidValue("V2K_SUBSCRIPTION_TOPIC", value: subscriptionTopic, expected: "an MQTT topic filter")
        }
        subscriptionQoS = QoS(rawValue: UInt8(try env.int("V2K_SUBSCRIPTION_QOS", default: 1, in: 0...2)))!

        topicSuffix = env.string("V2K_MESSENGER_PRODUCE_TOPIC_SUFFIX", default: "device-data")
        guard Self.isKafkaTopicName(topicSuffix) else {
            throw .invalidValue("V2K_MESSENGER_PRODUCE_TOPIC_SUFFIX", value: topicSuffix, expected: "Kafka topic characters [A-Za-z0-9._-]")
        }
        maxInflight = try env.int("V2K_MAX_INFLIGHT", default: 1000, in: 1...1_000_000)
        deadLetterTopic = try env.optionalNonBlank("V2K_DEAD_LETTER_TOPIC")
        if let deadLetterTopic, !Self.isKafkaTopicName(deadLetterTopic) {
            throw .invalidValue("V2K_DEAD_LETTER_TOPIC", value: deadLetterTopic, expected: "a Kafka topic name [A-Za-z0-9._-]")
        }

        producer = KafkaConfiguration(env.passThrough(prefix: "V2K_PRODUCER_", defaults: Self.producerDefaults))
        do {
            try producer.validate()
        } catch {
            let variable = error.property.map { "V2K_PRODUCER_" + EnvironmentReader.passThroughKey(forProperty: $0) } ?? "V2K_PRODUCER_*"
            let value = error.property.flatMap { producer[$0] } ?? ""
            throw .invalidValue(variable, value: value, expected: "a value librdkafka accepts (\(error.message))")
        }

        httpBind = env.string("V2K_HTTP_BIND", default: "0.0.0.0")
        httpPort = try env.port("V2K_HTTP_PORT", default: 9000)
        kafkaHealthInterval = try env.duration("V2K_HEALTHCHECK_KAFKA_INTERVAL_MS", default: .seconds(5), unit: .milliseconds)
        drainTimeout = try env.duration("V2K_SDK_PRODUCER_DISCONNECT_TIMEOUT_MS", default: .seconds(10), unit: .milliseconds)
        flushTimeout = try env.duration("V2K_SDK_PRODUCER_FLUSH_TIMEOUT_MS", default: .seconds(2), unit: .milliseconds)
        if kafkaHealthInterval < .milliseconds(100) {
            throw .invalidValue("V2K_HEALTHCHECK_KAFKA_INTERVAL_MS", value: "\(kafkaHealthInterval)", expected: "at least 100 ms")
        }
    }

    static func isKafkaTopicName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 249 && name.utf8.allSatisfy(AttrsTopic.isKafkaTopicCharacter)
    }
}

extension EnvironmentReader {
    /// The trimmed value, nil when unset or blank.
    mutating func optionalNonBlank(_ name: String) throws(ConfigurationError) -> String? {
        guard let value = optionalString(name)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }
}
