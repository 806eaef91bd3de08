/// An error from librdkafka or from this module, with librdkafka's classification.
///
/// `isFatal`: the client instance cannot continue (for example a fenced idempotent producer);
/// the process should stop and be restarted. `isRetriable`: doing the same thing again later may
/// succeed (a broker outage, a full queue), so callers back off instead of giving up.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A librdkafka `rd_kafka_resp_err_t` value: negative codes are local to librdkafka,
    /// positive ones come from the Kafka protocol.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// librdkafka's name for the code, for example `_QUEUE_FULL` or `NOT_LEADER_FOR_PARTITION`.
        public var name: String { RDKafkaErrorCode.name(of: rawValue) }
        public var description: String { "\(name) (\(rawValue))" }
    }

    public let code: Code
    public let message: String
    public let isFatal: Bool
    public let isRetriable: Bool
    /// The configuration property a configuration error is about.
    public let property: String?

    public init(code: Code, message: String, isFatal: Bool = false, isRetriable: Bool? = nil, property: String? = nil) {
        self.code = code
        self.message = message
        self.isFatal = isFatal
        self.isRetriable = isRetriable ?? (!isFatal && code.isRetriableByDefault)
        self.property = property
    }

    public var codeName: String { code.name }

    public var description: String {
        var flags: [String] = []
        if isFatal { flags.append("fatal") }
        if isRetriable { flags.append("retriable") }
        let suffix = flags.isEmpty ? "" : " [\(flags.joined(separator: ", "))]"
        return "Kafka error \(code.name): \(message)\(suffix)"
    }
}

extension KafkaError {
    static func invalidConfiguration(property: String, reason: String) -> KafkaError {
        KafkaError(code: .invalidArgument, message: reason, isRetriable: false, property: property)
    }

    static func shutDown(_ what: String) -> KafkaError {
        KafkaError(code: .destroyed, message: "\(what) has been shut down", isRetriable: false)
    }

    /// A plain response code, as found in delivery reports and consumed messages.
    static func fromCode(_ rawValue: Int32, message: String? = nil) -> KafkaError {
        let code = Code(rawValue: rawValue)
        return KafkaError(
            code: code,
            message: message ?? RDKafkaErrorCode.description(of: rawValue),
            isFatal: code == .fatal
        )
    }
}
