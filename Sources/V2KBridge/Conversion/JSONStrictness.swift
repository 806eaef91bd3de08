/// Checks a strict JSON reader makes beyond the grammar, for `JSONObjectScanner`.
enum JSONNumberRange {
    /// Whether the number text in `range` (already valid) is within a double's range: `1e400`
    /// would be infinity to one reader and an error to another. Only an exponent or hundreds of
    /// digits can leave the range, so ordinary numbers are not converted at all; a short text
    /// becomes a small (inline) String, no allocation.
    static func isFinite(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        guard range.count > 300 || bytes[range].contains(where: { $0 | 0x20 == UInt8(ascii: "e") }) else { return true }
        guard let value = Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)) else { return false }
        return value.isFinite
    }
}

enum JSONDuplicateKeys {
    /// Small objects are compared pairwise; larger ones are sorted in place (in the scanner's
    /// key buffer) and compared as neighbours, so a huge object costs n log n, not n².
    private static let pairwiseLimit = 16

    /// Whether two of `members` (the names of one object) mean the same text.
    static func found(in members: UnsafeMutableBufferPointer<KeySpan>, of bytes: UnsafeRawBufferPointer) -> Bool {
        guard members.count > 1 else { return false }
        if members.count <= pairwiseLimit {
            for i in 1..<members.count {
                for j in 0..<i where compare(members[i], members[j], bytes) == 0 { return true }
            }
            return false
        }
        var sorted = members
        sorted.sort { compare($0, $1, bytes) < 0 }
        for i in 1..<sorted.count where compare(sorted[i - 1], sorted[i], bytes) == 0 { return true }
        return false
    }

    /// Orders names by the bytes they stand for; escaped names (rare) are unescaped first.
    private static func compare(_ a: KeySpan, _ b: KeySpan, _ bytes: UnsafeRawBufferPointer) -> Int {
        if a.escaped || b.escaped {
            let left = a.escaped ? JSONStringBytes.unescape(bytes, a.range) : Array(bytes[a.range])
            let right = b.escaped ? JSONStringBytes.unescape(bytes, b.range) : Array(bytes[b.range])
            return left.lexicographicallyPrecedes(right) ? -1 : (left == right ? 0 : 1)
        }
        let left = UnsafeRawBufferPointer(rebasing: bytes[a.range])
        let right = UnsafeRawBufferPointer(rebasing: bytes[b.range])
        for (x, y) in zip(left, right) where x != y { return x < y ? -1 : 1 }
        return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
    }
}
