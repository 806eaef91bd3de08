/// Where one JSON value lies in its document, and what it is: the module reports byte ranges
/// instead of building a tree, so that a document can be forwarded as its producer wrote it.
public struct JSONValue: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case object
        case array
        case string
        case number
        case bool
        case null
    }

    public var kind: Kind
    /// The value's bytes: quotes and brackets included, no surrounding whitespace.
    public var range: Range<Int>

    public init(kind: Kind, range: Range<Int>) {
        self.kind = kind
        self.range = range
    }

    /// A string's content, between its quotes; nil for other kinds.
    public var stringContent: Range<Int>? {
        kind == .string ? range.lowerBound + 1..<range.upperBound - 1 : nil
    }
}
