/// Pass-through of prefixed variables to a C library's string properties, e.g. librdkafka:
/// `V2K_PRODUCER_METADATA_BROKER_LIST=k:9092` sets `metadata.broker.list=k:9092`.
extension EnvironmentReader {
    /// Every variable that starts with `prefix`, as `property -> value`, over `defaults`.
    /// Each property is recorded under the variable that sets it (for a default, the variable
    /// that would), so the start-up log line shows them all, secrets redacted.
    public mutating func passThrough(prefix: String, defaults: [String: String] = [:]) -> [String: String] {
        var properties = defaults
        var setByEnvironment = Set<String>()
        for (name, value) in rawValues(withPrefix: prefix) {
            let key = name.dropFirst(prefix.count)
            guard !key.isEmpty else { continue }
            let property = Self.propertyName(forPassThroughKey: key)
            properties[property] = value
            setByEnvironment.insert(property)
        }
        for property in properties.keys.sorted() {
            record(
                prefix + Self.passThroughKey(forProperty: property),
                value: properties[property],
                isSet: setByEnvironment.contains(property)
            )
        }
        return properties
    }

    /// `METADATA_BROKER_LIST` -> `metadata.broker.list`: lower case, `_` -> `.`, `__` -> `_`.
    public static func propertyName(forPassThroughKey key: Substring) -> String {
        var result = ""
        result.reserveCapacity(key.utf8.count)
        var pendingUnderscore = false
        for character in key.lowercased() {
            if character == "_" {
                if pendingUnderscore {
                    result.append("_")
                    pendingUnderscore = false
                } else {
                    pendingUnderscore = true
                }
                continue
            }
            if pendingUnderscore {
                result.append(".")
                pendingUnderscore = false
            }
            result.append(character)
        }
        if pendingUnderscore { result.append(".") }
        return result
    }

    /// The inverse of ``propertyName(forPassThroughKey:)``: `metadata.broker.list` -> `METADATA_BROKER_LIST`.
    public static func passThroughKey(forProperty property: String) -> String {
        var result = ""
        for character in property.uppercased() {
            switch character {
            case "_": result += "__"
            case ".": result += "_"
            default: result.append(character)
            }
        }
        return result
    }
}
