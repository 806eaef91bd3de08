import NIOCore

/// The wire primitives of MQTT: variable-length integers, length-prefixed strings and binary.
extension ByteBuffer {
    static let maxRemainingLength = 268_435_455

    /// Reads a remaining-length field without moving the reader index.
    /// - Returns: the value and the number of bytes it took, or nil when more bytes are needed.
    func peekRemainingLength(at index: Int) throws(MQTTDecodingError) -> (value: Int, bytes: Int)? {
        var value = 0
        var multiplier = 1
        for offset in 0..<4 {
            guard let byte = self.getInteger(at: index + offset, as: UInt8.self) else { return nil }
            value += Int(byte & 0x7F) * multiplier
            if byte & 0x80 == 0 { return (value, offset + 1) }
            multiplier *= 128
        }
        throw .malformedRemainingLength
    }

    @discardableResult
    mutating func writeRemainingLength(_ value: Int) -> Int {
        var value = value
        var written = 0
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value > 0 { byte |= 0x80 }
            written += self.writeInteger(byte)
        } while value > 0
        return written
    }

    static func remainingLengthSize(_ value: Int) -> Int {
        switch value {
        case ..<128: 1
        case ..<16_384: 2
        case ..<2_097_152: 3
        default: 4
        }
    }

    mutating func readMQTTUInt16(_ type: PacketType) throws(MQTTDecodingError) -> UInt16 {
        guard let value = self.readInteger(as: UInt16.self) else { throw .truncated(type) }
        return value
    }

    mutating func readMQTTByte(_ type: PacketType) throws(MQTTDecodingError) -> UInt8 {
        guard let value = self.readInteger(as: UInt8.self) else { throw .truncated(type) }
        return value
    }

    mutating func readMQTTPacketID(_ type: PacketType) throws(MQTTDecodingError) -> UInt16 {
        let id = try self.readMQTTUInt16(type)
        guard id != 0 else { throw .zeroPacketIdentifier(type) }
        return id
    }

    /// A length-prefixed UTF-8 string, well-formed and without U+0000.
    mutating func readMQTTString(_ type: PacketType) throws(MQTTDecodingError) -> String {
        let length = Int(try self.readMQTTUInt16(type))
        guard let slice = self.readSlice(length: length) else { throw .truncated(type) }
        let hasNull = slice.withUnsafeReadableBytes { $0.contains(0) }
        guard !hasNull else { throw .nullCharacter(type) }
        // String(decoding:) repairs malformed UTF-8 with U+FFFD, so the decoded bytes then differ
        // from the input. (String(validating:) would tell directly, but runs as unspecialized
        // generic code: 4% of the broker's CPU per PUBLISH.)
        let string: String? = slice.withUnsafeReadableBytes { raw in
            var decoded = String(decoding: raw, as: UTF8.self)
            return decoded.withUTF8 { bytesEqual(UnsafeRawBufferPointer($0), raw) } ? decoded : nil
        }
        guard let string else { throw .invalidUTF8(type) }
        return string
    }

    /// Length-prefixed binary data, as a slice of this buffer.
    mutating func readMQTTBinary(_ type: PacketType) throws(MQTTDecodingError) -> ByteBuffer {
        let length = Int(try self.readMQTTUInt16(type))
        guard let slice = self.readSlice(length: length) else { throw .truncated(type) }
        return slice
    }

    mutating func writeMQTTString(_ string: String) throws(MQTTEncodingError) {
        let length = string.utf8.count
        guard length <= Int(UInt16.max) else { throw .fieldTooLong(bytes: length) }
        self.writeInteger(UInt16(length))
        self.writeString(string)
    }

    mutating func writeMQTTBinary(_ bytes: ByteBuffer) throws(MQTTEncodingError) {
        let length = bytes.readableBytes
        guard length <= Int(UInt16.max) else { throw .fieldTooLong(bytes: length) }
        self.writeInteger(UInt16(length))
        self.writeImmutableBuffer(bytes)
    }
}
