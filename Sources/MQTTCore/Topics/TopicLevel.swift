/// One level of a topic or filter, compared and hashed byte for byte as MQTT requires (Swift's
/// `String` equality would treat canonically equivalent Unicode as equal).
struct TopicLevel: Hashable, Sendable {
    let bytes: Substring.UTF8View

    init(_ bytes: Substring.UTF8View) { self.bytes = bytes }

    static func == (lhs: TopicLevel, rhs: TopicLevel) -> Bool {
        guard lhs.bytes.count == rhs.bytes.count else { return false }
        // Native strings' bytes are contiguous: one memcmp instead of a byte-by-byte walk.
        let compared: Bool?? = lhs.bytes.withContiguousStorageIfAvailable { left in
            rhs.bytes.withContiguousStorageIfAvailable { right in bytesEqual(UnsafeRawBufferPointer(left), UnsafeRawBufferPointer(right)) }
        }
        if let compared, let compared { return compared }
        return lhs.bytes.elementsEqual(rhs.bytes)
    }

    func hash(into hasher: inout Hasher) {
        let hashed: Void? = self.bytes.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil {
            for byte in self.bytes { hasher.combine(byte) }
        }
        hasher.combine(self.bytes.count)
    }
}
