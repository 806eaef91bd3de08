import Foundation
import Kafka
import MQTTCore
import NIOCore
import ServiceRuntime

/// Everything `loadtest run` needs, read once from the environment (the command line sets the
/// same variables, so a flag wins over its variable) and validated; errors name the variable.
public struct RunConfiguration: Sendable {
    public enum Transport: Sendable, Equatable {
        /// Plain MQTT: the identity is the CONNECT user name.
        case plain
        /// Mutual TLS: the identity is the CN of each device's certificate.
        case mutualTLS(DeviceCertificates)
    }

    public var host = "127.0.0.1"
    public var port = 1883
    public var transport = Transport.plain
    /// Verify the broker's host name (or IP address) against its certificate.
    public var verifyHostname = true
    public var tenant = "admin"
    /// Device ids are `<prefix><n>` (or the `cert_<id>` folders of the certificate directory).
    public var devicePrefix = "lt"
    public var devices = 10
    public var connectRate: Double = 500
    public var publishInterval: Duration = .seconds(1)
    /// Each interval is the publish interval plus or minus a random part of this.
    public var jitter: Duration = .milliseconds(100)
    public var qos = QoS.atLeastOnce
    /// The payload is padded to about this many bytes (0: no padding).
    public var payloadSize = 0
    /// A JSON object whose fields are added to every payload after `timestamp` and `lt`.
    public var template = "{}"
    /// How long devices publish, from the end of the connect phase.
    public var duration: Duration = .seconds(60)
    /// Messages per device (nil: as many as the duration allows).
    public var messagesPerDevice: Int?
    public var keepAlive: UInt16 = 60
    /// Kafka bootstrap servers: when set, device-data is consumed and matched.
    public var kafkaBrokers: String?
    public var kafkaConsumer = KafkaConfiguration()
    public var kafkaProducer = KafkaConfiguration()
    /// How long to wait for acknowledged messages (and config events) to show up.
    public var grace: Duration = .seconds(15)
    /// The Kafka consumer's head start before the first device connects.
    public var kafkaWarmup: Duration = .seconds(5)
    /// Every interval, each device gets one configure event through Kafka (nil: off).
    public var configInterval: Duration?
    public var summaryPath: String?
    /// A self-contained HTML page with the run's plots and summary.
    public var reportPath: String?
    /// Connect failures, unexpected closes and unacknowledged publishes, over attempts.
    public var maxErrorRate = 0.001
    public var threads = System.coreCount
    public var showProgress = isatty(1) == 1

    public init() {}

    public var dataTopic: String { "\(tenant).device-data" }
    public var configTopic: String { "\(tenant).dojot.device-manager.device" }

    /// Reads `LOADTEST_*` (see the README); `LOADTEST_CONSUMER_*`/`LOADTEST_PRODUCER_*` pass
    /// librdkafka properties through.
    public init(from env: inout EnvironmentReader) throws(ConfigurationError) {
        host = env.string("LOADTEST_HOST", default: host)
        tenant = env.string("LOADTEST_TENANT", default: tenant)
        devicePrefix = env.string("LOADTEST_DEVICE_PREFIX", default: devicePrefix)
        let certDir = env.optionalString("LOADTEST_CERT_DIR")
        let pkiURL = env.optionalString("LOADTEST_PKI_URL")
        if let certDir {
            let ca = try env.optionalFilePath("LOADTEST_CA", default: nil)
            transport = .mutualTLS(DeviceCertificates(directory: certDir, caFile: ca, pkiURL: pkiURL))
        } else if pkiURL != nil {
            throw ConfigurationError.missingValue("LOADTEST_CERT_DIR", expected: "a directory to cache the certificates from LOADTEST_PKI_URL in")
        }
        let isTLS = transport != .plain
        port = try env.port("LOADTEST_PORT", default: isTLS ? 8883 : 1883)
        verifyHostname = try env.bool("LOADTEST_VERIFY_HOSTNAME", default: verifyHostname)
        devices = try env.int("LOADTEST_DEVICES", default: devices, in: 1...1_000_000)
        let rampUp = try env.duration("LOADTEST_RAMP_UP", default: .zero, unit: .seconds)
        let defaultRate = rampUp > .zero ? Double(devices) / rampUp.seconds : connectRate
        connectRate = Double(try env.int("LOADTEST_CONNECT_RATE", default: Int(defaultRate.rounded(.up)), in: 1...1_000_000))
        publishInterval = try env.duration("LOADTEST_INTERVAL_MS", default: publishInterval, unit: .milliseconds)
        jitter = try env.duration("LOADTEST_JITTER_MS", default: jitter, unit: .milliseconds)
        guard publishInterval > .zero else {
            throw ConfigurationError.invalidValue("LOADTEST_INTERVAL_MS", value: "0", expected: "a positive interval")
        }
        let qosValue = try env.int("LOADTEST_QOS", default: 1, in: 0...2)
        qos = QoS(rawValue: UInt8(qosValue))!
        payloadSize = try env.int("LOADTEST_PAYLOAD_SIZE", default: payloadSize, in: 0...200_000)
        template = env.string("LOADTEST_TEMPLATE", default: template)
        guard PayloadFormat.templateBody(template) != nil else {
            throw ConfigurationError.invalidValue("LOADTEST_TEMPLATE", value: template, expected: "a JSON object")
        }
        duration = try env.duration("LOADTEST_DURATION", default: duration, unit: .seconds)
        let messages = try env.int("LOADTEST_MESSAGES", default: 0, in: 0...Int(UInt32.max))
        messagesPerDevice = messages > 0 ? messages : nil
        keepAlive = UInt16(try env.int("LOADTEST_KEEPALIVE", default: Int(keepAlive), in: 0...65535))
        kafkaBrokers = env.optionalString("LOADTEST_KAFKA_BROKERS")
        kafkaConsumer = KafkaConfiguration(environment: env.rawValues(withPrefix: "LOADTEST_CONSUMER_").dictionary, prefix: "LOADTEST_CONSUMER_")
        kafkaProducer = KafkaConfiguration(environment: env.rawValues(withPrefix: "LOADTEST_PRODUCER_").dictionary, prefix: "LOADTEST_PRODUCER_")
        grace = try env.duration("LOADTEST_GRACE", default: grace, unit: .seconds)
        kafkaWarmup = try env.duration("LOADTEST_KAFKA_WARMUP", default: kafkaWarmup, unit: .seconds)
        let config = try env.duration("LOADTEST_CONFIG_INTERVAL", default: .zero, unit: .seconds)
        configInterval = config > .zero ? config : nil
        if configInterval != nil && kafkaBrokers == nil {
            throw ConfigurationError.missingValue("LOADTEST_KAFKA_BROKERS", expected: "Kafka bootstrap servers (LOADTEST_CONFIG_INTERVAL needs them)")
        }
        summaryPath = env.optionalString("LOADTEST_SUMMARY")
        reportPath = env.optionalString("LOADTEST_REPORT")
        let rate = env.string("LOADTEST_MAX_ERROR_RATE", default: String(maxErrorRate))
        guard let maxRate = Double(rate), (0...1).contains(maxRate) else {
            throw ConfigurationError.invalidValue("LOADTEST_MAX_ERROR_RATE", value: rate, expected: "a fraction between 0 and 1")
        }
        maxErrorRate = maxRate
        threads = try env.int("LOADTEST_THREADS", default: threads, in: 1...256)
        showProgress = try env.bool("LOADTEST_PROGRESS", default: showProgress)
    }
}

extension [(name: String, value: String)] {
    var dictionary: [String: String] { Dictionary(self.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last }) }
}
