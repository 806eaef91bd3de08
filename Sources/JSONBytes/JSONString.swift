/// JSON string literals written straight into a byte array (log lines, ops responses).
public enum JSONString {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `string` as a JSON string literal: quotes, backslashes and control characters
    /// escaped; everything else (valid UTF-8, as Swift strings are) copied as is.
    public static func append(_ string: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20, 0x7F:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0x0F)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `[element,...]`, each element written by `appendElement`.
    public static func appendArray<Elements: Sequence>(
        _ elements: Elements, to bytes: inout [UInt8], _ appendElement: (Elements.Element, inout [UInt8]) -> Void
    ) {
        bytes.append(UInt8(ascii: "["))
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            appendElement(element, &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// `{"key":"value",...}` for string values, in the given order.
    public static func object(_ fields: [(String, JSONFieldValue)]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            append(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            switch value {
            case .string(let string):
                append(string, to: &bytes)
            case .strings(let strings):
                appendArray(strings, to: &bytes) { string, bytes in append(string, to: &bytes) }
            }
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    public enum JSONFieldValue: Sendable {
        case string(String)
        case strings([String])
    }
}
