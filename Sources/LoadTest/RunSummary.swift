import Foundation
import Histogram

/// The result of `loadtest run`: what the JSON summary file holds and the table shows.
public struct RunSummary: Sendable, Encodable {
    /// Milliseconds at the usual percentiles of a microsecond histogram.
    public struct Latency: Sendable, Codable {
        public var count: Int
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var p999: Double
        public var max: Double

        init(_ histogram: Histogram<UInt64>) {
            func ms(_ value: UInt64) -> Double { (Double(value) / 10).rounded() / 100 }
            self.count = Int(histogram.totalCount)
            self.p50 = ms(histogram.valueAtPercentile(50))
            self.p90 = ms(histogram.valueAtPercentile(90))
            self.p99 = ms(histogram.valueAtPercentile(99))
            self.p999 = ms(histogram.valueAtPercentile(99.9))
            self.max = ms(histogram.max)
        }
    }

    public struct Connect: Sendable, Codable {
        public var attempted: Int
        public var succeeded: Int
        public var failed: Int
        public var subscribed: Int
        public var closedUnexpectedly: Int
        public var latency: Latency
    }

    public struct Publish: Sendable, Codable {
        public var qos: Int
        public var sent: Int
        public var acknowledged: Int
        /// Never acknowledged (in flight at the end, or on a connection that closed).
        public var unacknowledged: Int
        public var skippedTicks: Int
        public var perSecond: Double
        public var ackLatency: Latency
        /// After the connect phase (no TLS handshakes competing for the CPU).
        public var steadyAckLatency: Latency
    }

    public struct Kafka: Sendable, Codable {
        public var topic: String
        /// Acknowledged (QoS 0: sent) device messages that Kafka should have.
        public var expected: Int
        public var matched: Int
        /// Expected but not seen within the grace period.
        public var lost: Int
        public var duplicates: Int
        public var wrongKeys: Int
        public var latency: Latency
    }

    public struct Config: Sendable, Codable {
        public var topic: String
        public var produced: Int
        public var delivered: Int
        public var failed: Int
        public var received: Int
        /// Delivered to Kafka but never received by the device.
        public var lost: Int
        public var latency: Latency
    }

    public var run: String
    public var target: String
    public var transport: String
    public var tenant: String
    public var devices: Int
    public var elapsedSeconds: Double
    public var connect: Connect
    public var publish: Publish
    public var kafka: Kafka?
    public var config: Config?
    public var errorRate: Double
    public var maxErrorRate: Double
    /// Why the run failed; empty when it passed.
    public var failures: [String]
    /// The run second by second (the report's plots).
    public var timeline = RunTimeline()
    /// What the run was asked to do.
    public var settings: Settings?
    public var passed: Bool { failures.isEmpty }

    private enum CodingKeys: String, CodingKey {
        case run, target, transport, tenant, devices, elapsedSeconds, connect, publish, kafka, config, errorRate, maxErrorRate, failures, passed
        case timeline, settings
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(run, forKey: .run)
        try container.encode(target, forKey: .target)
        try container.encode(transport, forKey: .transport)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(devices, forKey: .devices)
        try container.encode(elapsedSeconds, forKey: .elapsedSeconds)
        try container.encode(connect, forKey: .connect)
        try container.encode(publish, forKey: .publish)
        try container.encode(kafka, forKey: .kafka)
        try container.encode(config, forKey: .config)
        try container.encode(errorRate, forKey: .errorRate)
        try container.encode(maxErrorRate, forKey: .maxErrorRate)
        try container.encode(failures, forKey: .failures)
        try container.encode(passed, forKey: .passed)
        try container.encode(timeline, forKey: .timeline)
        try container.encode(settings, forKey: .settings)
    }

    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

extension RunSummary {
    /// Connect failures, unexpected closes, unacknowledged publishes, skipped ticks and
    /// wrongly keyed Kafka records, over connection attempts plus publishes.
    static func errorRate(connect: Connect, publish: Publish, kafka: Kafka?) -> Double {
        let errors = connect.failed + connect.closedUnexpectedly + publish.unacknowledged + publish.skippedTicks + (kafka?.wrongKeys ?? 0)
        let attempts = connect.attempted + publish.sent
        return attempts == 0 ? 0 : Double(errors) / Double(attempts)
    }

    static func failures(connect: Connect, publish: Publish, kafka: Kafka?, config: Config?, errorRate: Double, maxErrorRate: Double) -> [String] {
        var failures: [String] = []
        if let kafka, kafka.lost > 0 { failures.append("\(kafka.lost) acknowledged message(s) never reached Kafka") }
        if let config, config.lost > 0 { failures.append("\(config.lost) config event(s) never reached their device") }
        if let config, config.failed > 0 { failures.append("\(config.failed) config event(s) could not be produced") }
        if errorRate > maxErrorRate {
            failures.append("error rate \(errorRate) is above \(maxErrorRate)")
        }
        if connect.succeeded == 0 { failures.append("no device connected") }
        return failures
    }
}

extension RunSummary {
    /// The settings of the run, in the summary so that a result file says what produced it.
    public struct Settings: Sendable, Codable, Equatable {
        public var tenant: String
        public var devicePrefix: String
        public var devices: Int
        public var connectsPerSecond: Double
        public var publishIntervalMs: Double
        public var jitterMs: Double
        public var qos: Int
        public var payloadBytes: Int
        public var durationSeconds: Double
        public var messagesPerDevice: Int?
        public var keepAliveSeconds: Int
        public var kafkaBrokers: String?
        public var configIntervalSeconds: Double?
        public var graceSeconds: Double
        public var maxErrorRate: Double
        public var threads: Int

        init(_ c: RunConfiguration) {
            tenant = c.tenant
            devicePrefix = c.devicePrefix
            devices = c.devices
            connectsPerSecond = c.connectRate
            publishIntervalMs = c.publishInterval.seconds * 1000
            jitterMs = c.jitter.seconds * 1000
            qos = Int(c.qos.rawValue)
            payloadBytes = c.payloadSize
            durationSeconds = c.duration.seconds
            messagesPerDevice = c.messagesPerDevice
            keepAliveSeconds = Int(c.keepAlive)
            kafkaBrokers = c.kafkaBrokers
            configIntervalSeconds = c.configInterval?.seconds
            graceSeconds = c.grace.seconds
            maxErrorRate = c.maxErrorRate
            threads = c.threads
        }
    }
}
