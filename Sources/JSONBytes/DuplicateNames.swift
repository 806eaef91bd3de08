/// A member name's content in the document, for the duplicate check.
struct NameSpan {
    var start: UInt32
    var end: UInt32
    var escaped: Bool

    var range: Range<Int> { Int(start)..<Int(end) }
}

enum DuplicateNames {
    /// Small objects are compared pairwise; larger ones are sorted in place (in the scanner's
    /// name buffer) and compared as neighbours, so a huge object costs n log n, not n².
    private static let pairwiseLimit = 16

    /// One of two `names` (those of one object) that mean the same text; nil when all differ.
    static func first(in names: UnsafeMutableBufferPointer<NameSpan>, of bytes: UnsafeRawBufferPointer) -> NameSpan? {
        guard names.count > 1 else { return nil }
        if names.count <= pairwiseLimit {
            for i in 1..<names.count {
                for j in 0..<i where compare(names[i], names[j], bytes) == 0 { return names[i] }
            }
            return nil
        }
        var sorted = names
        sorted.sort { compare($0, $1, bytes) < 0 }
        for i in 1..<sorted.count where compare(sorted[i - 1], sorted[i], bytes) == 0 { return sorted[i] }
        return nil
    }

    /// Orders names by the bytes they stand for; escaped names (rare) are unescaped first.
    private static func compare(_ a: NameSpan, _ b: NameSpan, _ bytes: UnsafeRawBufferPointer) -> Int {
        if a.escaped || b.escaped {
            let left = a.escaped ? JSONStringContent.unescaped(bytes, a.range) : Array(bytes[a.range])
            let right = b.escaped ? JSONStringContent.unescaped(bytes, b.range) : Array(bytes[b.range])
            return left.lexicographicallyPrecedes(right) ? -1 : (left == right ? 0 : 1)
        }
        let left = UnsafeRawBufferPointer(rebasing: bytes[a.range])
        let right = UnsafeRawBufferPointer(rebasing: bytes[b.range])
        for (x, y) in zip(left, right) where x != y { return x < y ? -1 : 1 }
        return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
    }
}
