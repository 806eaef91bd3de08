/// Byte-wise string comparisons. MQTT topics are compared byte for byte; Swift's `String ==`
/// treats canonically equivalent Unicode as equal, which would let `é` (one scalar) stand in for
/// `e` + combining accent, another device's topic. These helpers also never allocate.
enum UTF8Bytes {
    static let colon = UInt8(ascii: ":")
    static let slash = UInt8(ascii: "/")
    static let plus = UInt8(ascii: "+")
    static let hash = UInt8(ascii: "#")
    static let nul: UInt8 = 0

    static func equal(_ lhs: String, _ rhs: String) -> Bool {
        // utf8.count is O(1) for native strings: most mismatches stop here.
        lhs.utf8.count == rhs.utf8.count && lhs.utf8.elementsEqual(rhs.utf8)
    }

    static func equal(_ lhs: Substring.UTF8View, _ rhs: String) -> Bool {
        lhs.elementsEqual(rhs.utf8)
    }

    /// Whether `needle` occurs in `haystack`; an empty needle never does (an empty service mark
    /// must not turn every identity into a service).
    static func contains(_ haystack: String, _ needle: String) -> Bool {
        let hay = Array(haystack.utf8)
        let pattern = Array(needle.utf8)
        guard !pattern.isEmpty, pattern.count <= hay.count else { return false }
        for start in 0...(hay.count - pattern.count)
        where hay[start..<(start + pattern.count)].elementsEqual(pattern) {
            return true
        }
        return false
    }

    /// `/`, `+`, `#` or NUL: bytes that would change a filter's shape if a value were put into it.
    static func holdsTopicStructure(_ value: String) -> Bool {
        value.utf8.contains { $0 == slash || $0 == plus || $0 == hash || $0 == nul }
    }

    /// A client-chosen string as it may appear in a refusal reason (which the broker logs):
    /// quoted, control characters escaped (no forged log lines), at most 128 characters.
    static func printable(_ value: String) -> String {
        let limit = 128
        let shown = value.count > limit ? String(value.prefix(limit)) + "..." : value
        return shown.debugDescription
    }

    static func count(of byte: UInt8, in string: some StringProtocol) -> Int {
        string.utf8.reduce(0) { $1 == byte ? $0 + 1 : $0 }
    }

    /// `tenant:device`: exactly one `:`, both sides non-empty.
    static func isDeviceShaped(_ identity: some StringProtocol) -> Bool {
        let utf8 = identity.utf8
        guard let colon = utf8.firstIndex(of: Self.colon) else { return false }
        return colon != utf8.startIndex
            && utf8.index(after: colon) != utf8.endIndex
            && count(of: Self.colon, in: identity) == 1
    }
}
