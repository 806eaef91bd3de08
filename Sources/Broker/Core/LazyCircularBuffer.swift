import NIOCore

/// A `CircularBuffer` whose storage is allocated by the first `append`. Sessions and connections
/// each keep a few rings (queued messages, messages in flight, waiting acknowledgements) that most
/// of them (idle devices) never use, and an empty `CircularBuffer` already holds an allocation.
struct LazyCircularBuffer<Element>: Sequence {
    private var storage: CircularBuffer<Element>?

    init() {}

    var count: Int { self.storage?.count ?? 0 }
    var isEmpty: Bool { self.count == 0 }
    var first: Element? { self.storage?.first }

    mutating func append(_ element: Element) {
        if self.storage == nil { self.storage = CircularBuffer(initialCapacity: 4) }
        self.storage!.append(element)
    }

    /// Precondition: not empty.
    @discardableResult
    mutating func removeFirst() -> Element { self.storage!.removeFirst() }

    mutating func popFirst() -> Element? { self.isEmpty ? nil : self.storage!.removeFirst() }

    /// Empties the ring and gives its storage back.
    mutating func removeAll() { self.storage = nil }

    /// Reads or changes the element `offset` places after the first in place: the getter of
    /// `subscript(offset:)` copies it (a retain per reference it holds), which the hot paths
    /// (pump, acknowledgement) avoid. Precondition: `offset < count`.
    mutating func withElement<Result>(offset: Int, _ body: (inout Element) -> Result) -> Result {
        let index = self.storage!.index(self.storage!.startIndex, offsetBy: offset)
        return self.storage!.modify(index, body)
    }

    /// `body` applied to the first element in place; nil when empty.
    mutating func withFirst<Result>(_ body: (inout Element) -> Result) -> Result? {
        guard !self.isEmpty else { return nil }
        return self.storage!.modify(self.storage!.startIndex, body)
    }

    /// The element `offset` places after the first. Precondition: `offset < count`.
    subscript(offset offset: Int) -> Element {
        get { self.storage![self.storage!.index(self.storage!.startIndex, offsetBy: offset)] }
        _modify {
            let index = self.storage!.index(self.storage!.startIndex, offsetBy: offset)
            yield &self.storage![index]
        }
    }

    struct Iterator: IteratorProtocol {
        fileprivate var base: CircularBuffer<Element>.Iterator?
        mutating func next() -> Element? { self.base?.next() }
    }

    func makeIterator() -> Iterator { Iterator(base: self.storage?.makeIterator()) }
}
