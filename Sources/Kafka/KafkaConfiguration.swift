/// librdkafka configuration properties (see librdkafka's CONFIGURATION.md), for example
/// `["bootstrap.servers": "kafka:9092", "acks": "all"]`.
///
/// Values are passed to librdkafka unchanged; librdkafka validates them when a client is
/// created, and `validate()` runs the same check early (at start-up) with an error that names
/// the offending property.
public struct KafkaConfiguration: Sendable, Hashable, CustomStringConvertible {
    public var properties: [String: String]

    public init(_ properties: [String: String] = [:]) {
        self.properties = properties
    }

    public subscript(property: String) -> String? {
        get { properties[property] }
        set { properties[property] = newValue }
    }

    /// A copy with `defaults` added where the property is not set already.
    public func withDefaults(_ defaults: [String: String]) -> KafkaConfiguration {
        KafkaConfiguration(properties.merging(defaults) { current, _ in current })
    }

    /// Throws a `KafkaError` with `property` set for the first property librdkafka rejects.
    public func validate() throws(KafkaError) {
        try RDKafkaConfig.make(self, events: 0).destroy()
    }

    /// Properties sorted by name, secrets (`*password*`, `*secret*`, `*.key*`) redacted: for the
    /// start-up log line.
    public var description: String {
        properties.keys.sorted().map { key in
            let lowered = key.lowercased()
            let isSecret = ["password", "secret", ".key", "token"].contains { lowered.contains($0) }
            return "\(key)=\(isSecret ? "<redacted>" : properties[key]!)"
        }.joined(separator: " ")
    }
}
