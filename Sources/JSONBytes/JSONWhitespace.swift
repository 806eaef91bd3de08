/// The four bytes RFC 8259 allows between tokens.
enum JSONWhitespace {
    static func contains(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }

    /// The offset of the first byte at or after `index` that is not whitespace.
    static func end(in bytes: UnsafeRawBufferPointer, from index: Int) -> Int {
        var index = index
        while index < bytes.count, contains(bytes[index]) { index += 1 }
        return index
    }
}
