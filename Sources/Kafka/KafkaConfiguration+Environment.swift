extension KafkaConfiguration {
    /// The librdkafka properties given as environment variables with `prefix`, dojot style:
    /// `V2K_PRODUCER_METADATA_BROKER_LIST=kafka:9092` with prefix `V2K_PRODUCER_` is
    /// `metadata.broker.list=kafka:9092` (lower case, `_` is `.`, `__` is `_`).
    public init(environment: [String: String], prefix: String) {
        var properties: [String: String] = [:]
        for (name, value) in environment where name.hasPrefix(prefix) && name.count > prefix.count {
            properties[Self.propertyName(fromVariable: String(name.dropFirst(prefix.count)))] = value
        }
        self.init(properties)
    }

    static func propertyName(fromVariable variable: String) -> String {
        variable.lowercased()
            .split(separator: "__", omittingEmptySubsequences: false)
            .map { $0.split(separator: "_", omittingEmptySubsequences: false).joined(separator: ".") }
            .joined(separator: "_")
    }
}
