/// `%u` and `%c` in `pattern` lines, substituted once per connection.
enum PatternSubstitution {
    /// The filter with `%u` -> identity and `%c` -> client id, or nil when the pattern cannot
    /// apply: it needs a value that is missing or empty, or one holding `/`, `+`, `#` or NUL
    /// (which would widen the filter: client id `+` in `devices/%c/out` would reach every device).
    static func substitute(_ filter: String, identity: String?, clientID: String) -> String? {
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
            switch code {
            case UInt8(ascii: "u"):
                guard let identity, isSafe(identity) else { return nil }
                result.append(contentsOf: identity.utf8)
            case UInt8(ascii: "c"):
                guard isSafe(clientID) else { return nil }
                result.append(contentsOf: clientID.utf8)
            default:
                result.append(byte)
                result.append(code)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    private static func isSafe(_ value: String) -> Bool {
        !value.isEmpty && !UTF8Bytes.holdsTopicStructure(value)
    }
}
