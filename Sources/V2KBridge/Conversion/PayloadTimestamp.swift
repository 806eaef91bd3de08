import JSONBytes

/// The `metadata.timestamp` of a message: the payload's top-level `timestamp` when it is a
/// number (milliseconds) or an ISO 8601 string, else the bridge's clock.
enum PayloadTimestamp {
    /// The timestamp the payload gives, nil when it gives none that can be used.
    static func milliseconds(_ value: JSONValue?, in bytes: UnsafeRawBufferPointer) -> Int64? {
        guard let value else { return nil }
        switch value.kind {
        case .number: return number(UnsafeRawBufferPointer(rebasing: bytes[value.range]))
        case .string: return value.withStringBytes(in: bytes) { ISO8601Timestamp.milliseconds($0) } ?? nil
        default: return nil
        }
    }

    /// A validated JSON number as whole milliseconds (the fraction truncated); nil when it does
    /// not fit in 64 bits.
    static func number(_ text: UnsafeRawBufferPointer) -> Int64? {
        // Fast path: an integer, the common case.
        var value: Int64 = 0
        var negative = false
        var isInteger = true
        for (offset, byte) in text.enumerated() {
            if offset == 0 && byte == UInt8(ascii: "-") {
                negative = true
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                isInteger = false
                break
            }
            let (multiplied, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (added, overflow2) = multiplied.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = added
        }
        if isInteger { return negative ? -value : value }
        guard let double = Double(String(decoding: text, as: UTF8.self)), double.isFinite,
            double > -9.2e18, double < 9.2e18
        else { return nil }
        return Int64(double.rounded(.towardZero))
    }
}
