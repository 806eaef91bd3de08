/// A device's attribute topic, `tenant:device/attrs`, as byte offsets into the topic's UTF-8.
public struct AttrsTopic: Sendable, Hashable {
    /// `tenant`.
    public var tenant: Range<Int>
    /// `device`.
    public var device: Range<Int>
    /// `tenant:device`: the Kafka key.
    public var identity: Range<Int>

    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// Not two levels with `attrs` last.
        case notAttrs
        /// The first level is not `tenant:device` with exactly one `:` and both parts non-empty.
        case notDeviceIdentity
        /// The tenant cannot be part of a Kafka topic name (`[A-Za-z0-9._-]`, bounded length).
        case invalidTenant

        public var description: String {
            switch self {
            case .notAttrs: "the topic is not <tenant>:<device>/attrs"
            case .notDeviceIdentity: "the topic's first level is not <tenant>:<device>"
            case .invalidTenant: "the tenant is not usable in a Kafka topic name"
            }
        }
    }

    /// Kafka topic names are at most 249 characters; the suffix and a `.` take part of that.
    public static func parse(_ topic: UnsafeRawBufferPointer, maximumTenantLength: Int = 200) -> Result<AttrsTopic, Failure> {
        let suffix: StaticString = "/attrs"
        let suffixCount = suffix.utf8CodeUnitCount
        guard topic.count > suffixCount else { return .failure(.notAttrs) }
        let identityEnd = topic.count - suffixCount
        for offset in 0..<suffixCount where topic[identityEnd + offset] != suffix.utf8Start[offset] {
            return .failure(.notAttrs)
        }
        var colon: Int?
        for index in 0..<identityEnd {
            switch topic[index] {
            case UInt8(ascii: "/"): return .failure(.notAttrs)
            case UInt8(ascii: ":"):
                guard colon == nil else { return .failure(.notDeviceIdentity) }
                colon = index
            default: continue
            }
        }
        guard let colon, colon > 0, colon + 1 < identityEnd else { return .failure(.notDeviceIdentity) }
        guard colon <= maximumTenantLength, topic[0..<colon].allSatisfy(isKafkaTopicCharacter) else {
            return .failure(.invalidTenant)
        }
        return .success(AttrsTopic(tenant: 0..<colon, device: colon + 1..<identityEnd, identity: 0..<identityEnd))
    }

    public static func parse(_ topic: String) -> Result<AttrsTopic, Failure> {
        var topic = topic
        return topic.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    static func isKafkaTopicCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
