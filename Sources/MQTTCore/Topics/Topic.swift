/// Validation of topic names and filters, on the UTF-8 bytes (no allocation).
public enum Topic {
    static let separator = UInt8(ascii: "/")
    static let singleLevelWildcard = UInt8(ascii: "+")
    static let multiLevelWildcard = UInt8(ascii: "#")
    static let dollar = UInt8(ascii: "$")

    /// A topic name (what PUBLISH carries): non-empty, no wildcards.
    public static func validateName(_ name: String) throws(TopicError) {
        let utf8 = name.utf8
        guard !utf8.isEmpty else { throw .empty }
        for byte in utf8 where byte == singleLevelWildcard || byte == multiLevelWildcard {
            throw .wildcardInTopicName
        }
    }

    /// A topic filter (what SUBSCRIBE carries): non-empty; `+` and `#` only as whole levels; `#` last.
    public static func validateFilter(_ filter: String) throws(TopicError) {
        let utf8 = filter.utf8
        guard !utf8.isEmpty else { throw .empty }
        var previous: UInt8 = separator
        var afterMultiLevel = false
        for byte in utf8 {
            if afterMultiLevel { throw .misplacedWildcard }
            switch byte {
            case singleLevelWildcard:
                guard previous == separator else { throw .misplacedWildcard }
            case multiLevelWildcard:
                guard previous == separator else { throw .misplacedWildcard }
                afterMultiLevel = true
            default:
                if previous == singleLevelWildcard && byte != separator { throw .misplacedWildcard }
            }
            previous = byte
        }
    }

    /// Whether a string is a valid topic name.
    public static func isValidName(_ name: String) -> Bool {
        (try? validateName(name)) != nil
    }

    /// Whether a string is a valid topic filter.
    public static func isValidFilter(_ filter: String) -> Bool {
        (try? validateFilter(filter)) != nil
    }
}
