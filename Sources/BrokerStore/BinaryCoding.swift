/// Big-endian primitives for keys and values. Big-endian integers in keys sort numerically under
/// RocksDB's byte-wise comparator, which is what makes sequence order the key order.
struct BinaryWriter {
    var bytes: [UInt8]

    init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func write(_ value: UInt8) { bytes.append(value) }

    mutating func write<I: FixedWidthInteger>(_ value: I) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// A length-prefixed byte string (u32 length): prefix-free, so keys built from them never
    /// make one session's prefix a prefix of another's.
    mutating func writeString(_ string: String) {
        var string = string
        string.withUTF8 { writeBytes(UnsafeRawBufferPointer($0)) }
    }

    mutating func writeBytes(_ raw: UnsafeRawBufferPointer) {
        write(UInt32(raw.count))
        bytes.append(contentsOf: raw)
    }

    mutating func writeRaw<C: Collection>(_ raw: C) where C.Element == UInt8 { bytes.append(contentsOf: raw) }
}

struct DecodeError: Error, CustomStringConvertible {
    var description: String
}

/// Reads what `BinaryWriter` wrote, from memory RocksDB owns for the duration of one iterator step.
struct BinaryReader {
    private let raw: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ raw: UnsafeRawBufferPointer) { self.raw = raw }

    var remaining: Int { raw.count - offset }
    var isAtEnd: Bool { offset == raw.count }

    mutating func readByte() throws -> UInt8 {
        guard remaining >= 1 else { throw DecodeError(description: "truncated at byte \(offset)") }
        defer { offset += 1 }
        return raw[offset]
    }

    mutating func read<I: FixedWidthInteger>(_: I.Type) throws -> I {
        let size = MemoryLayout<I>.size
        guard remaining >= size else { throw DecodeError(description: "truncated at byte \(offset)") }
        var value = I.zero
        withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + size])) }
        offset += size
        return I(bigEndian: value)
    }

    mutating func readSlice() throws -> UnsafeRawBufferPointer {
        let count = Int(try read(UInt32.self))
        guard remaining >= count else { throw DecodeError(description: "length \(count) at byte \(offset) past the end") }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: raw[offset..<offset + count])
    }

    mutating func skipSlice() throws {
        _ = try readSlice()
    }

    mutating func readString() throws -> String {
        let slice = try readSlice()
        guard let string = String(validating: slice.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw DecodeError(description: "invalid UTF-8 before byte \(offset)")
        }
        return string
    }

    /// The rest of the buffer (keys end with a raw topic or suffix).
    mutating func readRest() -> UnsafeRawBufferPointer {
        defer { offset = raw.count }
        return UnsafeRawBufferPointer(rebasing: raw[offset...])
    }

    func expectEnd(_ what: String) throws {
        guard isAtEnd else { throw DecodeError(description: "\(remaining) unexpected bytes after \(what)") }
    }
}
