/// A parsed JSON value that remembers where it lies in its document, so that part of a document
/// can be forwarded as its producer wrote it (key order and number spelling kept).
struct JSONNode: Sendable {
    enum Kind: Sendable, Equatable {
        case object
        case array
        case string
        case number
        case bool
        case null
    }

    let kind: Kind
    /// The value's bytes in the document.
    let range: Range<Int>
    /// The decoded text of a string.
    var string: String?
    /// The members of an object, in document order; empty for other kinds.
    var members: [(key: String, value: JSONNode)] = []

    /// The member named `key` (the parser refuses duplicate names).
    subscript(key: String) -> JSONNode? {
        members.last { $0.key == key }?.value
    }
}
