/// What one escape sequence of a JSON string stands for: the one decoder of `\` escapes, used
/// both to validate a string and to resolve its text.
enum JSONEscape {
    /// A valid escape: the scalar it means and how many bytes it takes (`\uD83D\uDE00` is 12).
    case scalar(Unicode.Scalar, length: Int)
    case invalid(JSONScanFailure.Reason)

    /// Decodes the escape whose backslash is at `start`, reading no byte at or after `end`.
    static func decode(_ bytes: UnsafeRawBufferPointer, at start: Int, end: Int) -> JSONEscape {
        guard start + 1 < end else { return .invalid(.unterminatedString) }
        let letter = bytes[start + 1]
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return .scalar(Unicode.Scalar(letter), length: 2)
        case UInt8(ascii: "b"): return .scalar("\u{08}", length: 2)
        case UInt8(ascii: "f"): return .scalar("\u{0C}", length: 2)
        case UInt8(ascii: "n"): return .scalar("\n", length: 2)
        case UInt8(ascii: "r"): return .scalar("\r", length: 2)
        case UInt8(ascii: "t"): return .scalar("\t", length: 2)
        case UInt8(ascii: "u"): return decodeUnicode(bytes, at: start, end: end)
        default: return .invalid(.invalidEscape)
        }
    }

    /// `\uXXXX`, or a surrogate pair `\uD8XX\uDCXX`; a surrogate alone is refused, as strict
    /// readers do (it is no character, and readers differ on what they make of it).
    private static func decodeUnicode(_ bytes: UnsafeRawBufferPointer, at start: Int, end: Int) -> JSONEscape {
        guard let unit = HexDigits.codeUnit(bytes, at: start + 2, end: end) else { return .invalid(.invalidEscape) }
        switch unit {
        case 0xDC00...0xDFFF:
            return .invalid(.unpairedSurrogate)
        case 0xD800...0xDBFF:
            guard start + 8 <= end, bytes[start + 6] == UInt8(ascii: "\\"), bytes[start + 7] == UInt8(ascii: "u"),
                let low = HexDigits.codeUnit(bytes, at: start + 8, end: end), (0xDC00...0xDFFF).contains(low),
                let scalar = Unicode.Scalar(0x10000 + (UInt32(unit - 0xD800) << 10) + UInt32(low - 0xDC00))
            else { return .invalid(.unpairedSurrogate) }
            return .scalar(scalar, length: 12)
        default:
            // Not a surrogate: always a scalar.
            return .scalar(Unicode.Scalar(unit) ?? "\u{FFFD}", length: 6)
        }
    }
}
