/// Whether a valid number's text is within a double's range: `1e400` would be infinity to one
/// reader and an error to another, so a strict reader refuses it.
enum NumberRange {
    /// Only an exponent or hundreds of digits can leave the range, so ordinary numbers are not
    /// converted at all; a short text becomes a small (inline) String, no allocation.
    static func isFinite(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        guard range.count > 300 || bytes[range].contains(where: { $0 | 0x20 == UInt8(ascii: "e") }) else { return true }
        guard let value = Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)) else { return false }
        return value.isFinite
    }
}
