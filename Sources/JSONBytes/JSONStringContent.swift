/// The text of a validated string's content (the bytes between its quotes).
enum JSONStringContent {
    /// The UTF-8 bytes the content stands for, escapes resolved. Allocates: for escaped text only.
    static func unescaped(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(range.count)
        var index = range.lowerBound
        while index < range.upperBound {
            guard bytes[index] == UInt8(ascii: "\\") else {
                result.append(bytes[index])
                index += 1
                continue
            }
            // Validated content holds valid escapes only.
            guard case .scalar(let scalar, let length) = JSONEscape.decode(bytes, at: index, end: range.upperBound) else { break }
            result.append(contentsOf: UTF8.encode(scalar)!)
            index += length
        }
        return result
    }

    static func hasEscapes(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        bytes[range].contains(UInt8(ascii: "\\"))
    }

    /// Whether the content means `expected` (UTF-8); a name written with escapes
    /// (`"time\u0073tamp"`) means the same as the plain one.
    static func equals(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, escaped: Bool, _ expected: UnsafeRawBufferPointer) -> Bool {
        guard escaped else {
            guard range.count == expected.count else { return false }
            for offset in 0..<expected.count where bytes[range.lowerBound + offset] != expected[offset] { return false }
            return true
        }
        return unescaped(bytes, range).elementsEqual(expected)
    }
}

extension JSONValue {
    /// Calls `body` with a string's UTF-8, escapes resolved: the document's own bytes when the
    /// string has no escapes (no allocation). Nil when this is not a string.
    public func withStringBytes<Result>(in bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Result) -> Result? {
        guard let content = stringContent else { return nil }
        guard JSONStringContent.hasEscapes(bytes, content) else { return body(UnsafeRawBufferPointer(rebasing: bytes[content])) }
        return JSONStringContent.unescaped(bytes, content).withUnsafeBytes(body)
    }

    /// A string's text, escapes resolved; nil when this is not a string.
    public func string(in bytes: UnsafeRawBufferPointer) -> String? {
        withStringBytes(in: bytes) { String(decoding: $0, as: UTF8.self) }
    }
}
