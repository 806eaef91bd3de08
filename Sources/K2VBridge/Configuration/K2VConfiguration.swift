import Kafka
import MQTTCore
import ServiceRuntime

/// Everything the bridge reads from the environment (`K2V_*`), validated once at start-up.
public struct K2VConfiguration: Sendable {
    public enum MQTTProtocol: String, Sendable, CaseIterable {
        /// Mutual TLS (production).
        case mqtts
        /// Plain TCP (development and tests).
        case mqtt
    }

    /// MQTT client id and user name, and the CN of the bridge's certificate.
    public var hostname: String
    public var mqttHost = "iotagent-mqtt"
    public var mqttPort = 8883
    public var mqttProtocol = MQTTProtocol.mqtts
    public var caFile: String
    public var certificateFile: String
    public var keyFile: String
    /// Verify the broker's certificate chain and host name.
    public var rejectUnauthorized = true
    public var keepAliveSeconds = 60
    public var reconnect = MQTTReconnectPolicy(initialDelay: .seconds(1), maxDelay: .seconds(30))
    /// librdkafka consumer properties (`K2V_CONSUMER_*` over the defaults).
    public var kafka: KafkaConfiguration
    public var topicSuffix = "dojot.device-manager.device"
    public var events: [String] = ["configure"]
    public var publishQoS = QoS.atLeastOnce
    /// Records read and not yet covered by a stored offset (publishes awaiting PUBACK among them).
    public var maxInflight = 1000
    /// Larger `data.attrs` are malformed: the broker would refuse the PUBLISH (`BROKER_MAX_PACKET_BYTES`).
    public var maxPayloadBytes = 261_120
    /// The broker's `BROKER_MAX_PACKET_BYTES`: a record whose PUBLISH (topic, header and
    /// payload) would be larger is malformed, never retried.
    public var maxPacketBytes = 262_144
    public var httpBind = "0.0.0.0"
    public var httpPort = 9000
    /// At shutdown, how long to wait for outstanding publishes before committing and leaving.
    public var drainTimeout = Duration.seconds(10)
    public var commitInterval = Duration.seconds(1)
    public var kafkaHealthCheckInterval = Duration.seconds(30)

    public static let consumerPrefix = "K2V_CONSUMER_"

    /// The defaults, with the bridge's certificate files named after `hostname`.
    public init(hostname: String, kafka: KafkaConfiguration = KafkaConfiguration()) {
        self.hostname = hostname
        self.caFile = "/certs/ca.crt"
        self.certificateFile = "/certs/\(hostname).crt"
        self.keyFile = "/certs/\(hostname).key"
        self.kafka = kafka.withDefaults(Self.kafkaDefaults(hostname: hostname))
    }

    /// librdkafka settings the bridge needs unless `K2V_CONSUMER_*` says otherwise. The metadata
    /// refresh also finds new tenants' topics; with librdkafka 2.0.2 it must outlast a JoinGroup.
    static func kafkaDefaults(hostname: String) -> [String: String] {
        [
            "metadata.broker.list": "kafka:9092",
            "group.id": "k2v-bridge-group-id",
            "client.id": hostname,
            "auto.offset.reset": "earliest",
            "topic.metadata.refresh.interval.ms": "30000",
            // A fetch waits at most this long for new records: a configure event should reach its
            // device promptly even from a Kafka that holds fetches for the whole wait (500 ms by
            // default), as the mock cluster does.
            "fetch.wait.max.ms": "100",
        ]
    }

    /// `^.+\.<suffix>$` with the suffix's regular-expression characters escaped.
    public var topicPattern: String {
        let special = Set(#"\.^$|?*+()[]{}"#)
        let escaped = topicSuffix.map { special.contains($0) ? "\\\($0)" : String($0) }.joined()
        return "^.+\\.\(escaped)$"
    }
}

extension K2VConfiguration {
    public init(from env: inout EnvironmentReader, hostname defaultHostname: String) throws(ConfigurationError) {
        let hostname = env.string("K2V_APP_HOSTNAME", default: defaultHostname)
        guard !hostname.isEmpty else { throw .invalidValue("K2V_APP_HOSTNAME", value: hostname, expected: "a non-empty name") }
        self.init(hostname: hostname)
        mqttHost = env.string("K2V_MQTT_HOST", default: mqttHost)
        guard !mqttHost.isEmpty else { throw .invalidValue("K2V_MQTT_HOST", value: mqttHost, expected: "a host name or address") }
        mqttPort = try env.int("K2V_MQTT_PORT", default: mqttPort, in: 1...65_535)
        mqttProtocol = try env.enumeration("K2V_MQTT_PROTOCOL", default: mqttProtocol)
        let needsFiles = mqttProtocol == .mqtts
        caFile = try env.filePath("K2V_MQTT_CA", default: caFile, mustExist: needsFiles)
        certificateFile = try env.filePath("K2V_MQTT_CERT", default: certificateFile, mustExist: needsFiles)
        keyFile = try env.filePath("K2V_MQTT_KEY", default: keyFile, mustExist: needsFiles)
        rejectUnauthorized = try env.bool("K2V_MQTT_REJECT_UNAUTHORIZED", default: rejectUnauthorized)
        keepAliveSeconds = try env.int("K2V_MQTT_KEEP_ALIVE", default: keepAliveSeconds, in: 0...65_535)

        topicSuffix = env.string("K2V_MESSENGER_CONSUMER_TOPIC_SUFFIX", default: topicSuffix)
        guard !topicSuffix.isEmpty else {
            throw .invalidValue("K2V_MESSENGER_CONSUMER_TOPIC_SUFFIX", value: topicSuffix, expected: "a topic suffix")
        }
        events = env.list("K2V_EVENTS", default: events)
        guard !events.isEmpty else {
            throw .invalidValue("K2V_EVENTS", value: env.rawValue("K2V_EVENTS") ?? "", expected: "a comma-separated list of events")
        }
        let qos = try env.int("K2V_PUBLISH_QOS", default: 1, in: 0...2)
        publishQoS = QoS(rawValue: UInt8(qos)) ?? .atLeastOnce
        maxInflight = try env.int("K2V_MAX_INFLIGHT", default: maxInflight, in: 1...65_535)
        maxPayloadBytes = try env.int("K2V_MAX_PAYLOAD_BYTES", default: maxPayloadBytes, in: 2...268_435_000)
        maxPacketBytes = try env.int("K2V_MQTT_MAX_PACKET_BYTES", default: maxPacketBytes, in: 64...268_435_460)
        httpBind = env.string("K2V_HTTP_BIND", default: httpBind)
        httpPort = try env.port("K2V_HTTP_PORT", default: httpPort)
        drainTimeout = .milliseconds(try env.int("K2V_DRAIN_TIMEOUT_MS", default: 10_000, in: 0...600_000))
        commitInterval = .milliseconds(try env.int("K2V_COMMIT_INTERVAL_MS", default: 1000, in: 100...600_000))
        kafkaHealthCheckInterval = .milliseconds(
            try env.int("K2V_HEALTHCHECK_KAFKA_INTERVAL_MS", default: 30_000, in: 1000...3_600_000))

        var defaults = Self.kafkaDefaults(hostname: hostname)
        if env.rawValue(Self.consumerPrefix + "BOOTSTRAP_SERVERS") != nil { defaults["metadata.broker.list"] = nil }
        kafka = KafkaConfiguration(env.passThrough(prefix: Self.consumerPrefix, defaults: defaults))
        do {
            try kafka.validate()
        } catch {
            let property = error.property ?? "metadata.broker.list"
            throw .invalidValue(
                Self.consumerPrefix + EnvironmentReader.passThroughKey(forProperty: property),
                value: kafka[property] ?? "", expected: "accepted by librdkafka (\(error.message))")
        }
    }
}
