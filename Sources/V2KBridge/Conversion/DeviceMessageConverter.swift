import JSONBytes
import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns an MQTT message on `tenant:device/attrs` into the Kafka topic, key and value of
/// `<tenant>.<suffix>`. Owned by one task; reuses its output buffer and topic names, so a
/// valid message costs no allocation here.
public struct DeviceMessageConverter {
    public let topicSuffix: String
    /// The Kafka value of the last conversion.
    public private(set) var value = ByteBuffer()
    /// `tenant -> tenant.suffix`; tenants are few, and short ones need no allocation to look up.
    private var kafkaTopics: [String: String] = [:]

    public init(topicSuffix: String) {
        self.topicSuffix = topicSuffix
        self.value.reserveCapacity(1024)
    }

    public struct Converted: Sendable, Hashable {
        public var kafkaTopic: String
        /// Where `tenant:device` (the Kafka key) lies in the MQTT topic's UTF-8.
        public var key: Range<Int>
        /// `metadata.timestamp`, kept so that a retry produces the same value.
        public var timestamp: Int64
    }

    public enum Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        case topic(AttrsTopic.Failure)
        case payload(PayloadFailure)

        public var description: String {
            switch self {
            case .topic(let failure): failure.description
            case .payload(let failure): failure.description
            }
        }

        /// A short label for metrics.
        public var label: String {
            switch self {
            case .topic: "topic"
            case .payload(.notAnObject): "not_object"
            case .payload: "invalid_json"
            }
        }
    }

    /// Converts one message into `value`. `timestamp` fixes `metadata.timestamp` (a retry);
    /// otherwise the payload's `timestamp` or `clock()` is used.
    public mutating func convert(
        topic: UnsafeRawBufferPointer,
        payload: ByteBuffer,
        timestamp fixedTimestamp: Int64? = nil,
        clock: () -> Int64
    ) -> Result<Converted, Invalid> {
        let attrsTopic: AttrsTopic
        // Kafka topic names are at most 249 characters: `<tenant>.<suffix>` must fit.
        switch AttrsTopic.parse(topic, maximumTenantLength: 248 - topicSuffix.utf8.count) {
        case .success(let parsed): attrsTopic = parsed
        case .failure(let failure): return .failure(.topic(failure))
        }
        value.clear()
        let outcome = payload.withUnsafeReadableBytes { bytes -> Result<Int64, Invalid> in
            switch JSONScanner.scanObject(bytes, maximumDepth: PayloadFailure.maximumDepth, member: "timestamp") {
            case .failure(let failure):
                return .failure(.payload(PayloadFailure(failure)))
            case .success(let scanned):
                let timestamp = fixedTimestamp ?? PayloadTimestamp.milliseconds(scanned.member, in: bytes) ?? clock()
                DeviceDataEncoder.write(
                    into: &value,
                    tenant: UnsafeRawBufferPointer(rebasing: topic[attrsTopic.tenant]),
                    device: UnsafeRawBufferPointer(rebasing: topic[attrsTopic.device]),
                    timestamp: timestamp,
                    attrs: UnsafeRawBufferPointer(rebasing: bytes[scanned.object.range])
                )
                return .success(timestamp)
            }
        }
        switch outcome {
        case .failure(let invalid):
            return .failure(invalid)
        case .success(let timestamp):
            let kafkaTopic = kafkaTopic(tenant: UnsafeRawBufferPointer(rebasing: topic[attrsTopic.tenant]))
            return .success(Converted(kafkaTopic: kafkaTopic, key: attrsTopic.identity, timestamp: timestamp))
        }
    }

    private mutating func kafkaTopic(tenant: UnsafeRawBufferPointer) -> String {
        let name = String(decoding: tenant, as: UTF8.self)
        if let topic = kafkaTopics[name] { return topic }
        let topic = name + "." + topicSuffix
        // Bounded: a flood of distinct tenants must not grow this without end.
        if kafkaTopics.count >= 4096 { kafkaTopics.removeAll(keepingCapacity: true) }
        kafkaTopics[name] = topic
        return topic
    }
}

/// Milliseconds since the epoch, from the system clock.
public func currentEpochMilliseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
}
