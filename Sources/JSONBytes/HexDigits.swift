/// Hexadecimal digits, as in `\u` escapes.
enum HexDigits {
    static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The four digits at `start` as a UTF-16 code unit; nil when they are not all there before `end`.
    static func codeUnit(_ bytes: UnsafeRawBufferPointer, at start: Int, end: Int) -> UInt16? {
        guard start + 4 <= end else { return nil }
        var unit: UInt16 = 0
        for offset in 0..<4 {
            guard let digit = value(bytes[start + offset]) else { return nil }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }
}
