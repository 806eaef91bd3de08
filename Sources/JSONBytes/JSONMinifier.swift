public enum JSONMinifier {
    /// `bytes` (one valid JSON value) without the whitespace between tokens, as `JSON.stringify`
    /// would write it: key order and number spelling stay the producer's.
    public static func minified(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                result.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            if JSONWhitespace.contains(byte) { continue }
            if byte == UInt8(ascii: "\"") { inString = true }
            result.append(byte)
        }
        return result
    }
}
