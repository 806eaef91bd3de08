import NIOCore

/// Writes the Kafka value of a device message:
/// `{"metadata":{"deviceid":D,"tenant":T,"timestamp":MS},"attrs":<payload>}`, the payload
/// copied verbatim (it has been validated as a JSON object).
public enum DeviceDataEncoder {
    public static func write(
        into buffer: inout ByteBuffer,
        tenant: UnsafeRawBufferPointer,
        device: UnsafeRawBufferPointer,
        timestamp: Int64,
        attrs: UnsafeRawBufferPointer
    ) {
        buffer.reserveCapacity(minimumWritableBytes: attrs.count + tenant.count + device.count * 6 + 80)
        buffer.writeStaticString(#"{"metadata":{"deviceid":""#)
        writeEscaped(device, into: &buffer)
        buffer.writeStaticString(#"","tenant":""#)
        writeEscaped(tenant, into: &buffer)
        buffer.writeStaticString(#"","timestamp":"#)
        writeDecimal(timestamp, into: &buffer)
        buffer.writeStaticString(#"},"attrs":"#)
        buffer.writeBytes(attrs)
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    /// The JSON string content of UTF-8 `bytes`: `"`, `\` and control characters escaped.
    static func writeEscaped(_ bytes: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        var clean = 0
        for (index, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[clean..<index]))
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString(#"\""#)
            case UInt8(ascii: "\\"): buffer.writeStaticString(#"\\"#)
            default:
                let hex: StaticString = "0123456789abcdef"
                buffer.writeStaticString(#"\u00"#)
                buffer.writeInteger(hex.utf8Start[Int(byte >> 4)])
                buffer.writeInteger(hex.utf8Start[Int(byte & 0x0F)])
            }
            clean = index + 1
        }
        buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[clean...]))
    }

    static func writeDecimal(_ value: Int64, into buffer: inout ByteBuffer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var magnitude = value.magnitude
            var count = 0
            repeat {
                digits[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            if value < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: digits[(20 - count)...])))
        }
    }
}
