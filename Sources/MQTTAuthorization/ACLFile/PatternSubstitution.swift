/// `%u` and `%c` in `pattern` lines, substituted once per connection.
enum PatternSubstitution: Equatable {
    case filter(String)
    /// The pattern needs the identity and there is none (or it is empty), or the client id is empty.
    case missingValue
    /// The value holds `/`, `+`, `#` or NUL and would widen the filter: client id `+` would turn
    /// `devices/%c/out` into every device's topic.
    case unsafeValue

    static func substitute(_ filter: String, identity: String?, clientID: String) -> PatternSubstitution {
        var result: [UInt8] = []
        result.reserveCapacity(filter.utf8.count)
        var bytes = filter.utf8.makeIterator()
        while let byte = bytes.next() {
            guard byte == UInt8(ascii: "%") else {
                result.append(byte)
                continue
            }
            guard let code = bytes.next() else {
                result.append(byte)
                break
            }
            let value: String?
            switch code {
            case UInt8(ascii: "u"): value = identity
            case UInt8(ascii: "c"): value = clientID
            default:
                result.append(byte)
                result.append(code)
                continue
            }
            guard let value, !value.isEmpty else { return .missingValue }
            guard !UTF8Bytes.holdsTopicStructure(value) else { return .unsafeValue }
            result.append(contentsOf: value.utf8)
        }
        return .filter(String(decoding: result, as: UTF8.self))
    }
}
