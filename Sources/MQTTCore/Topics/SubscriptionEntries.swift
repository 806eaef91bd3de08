/// The subscribers of one filter: an array, walked on every matching message, with a key -> position
/// map only once it is too long for a linear search. Most filters have one subscriber (a device's
/// own topic), and then this is one small array rather than a hash table.
struct SubscriptionEntries<Key: Hashable, Value> {
    private(set) var list: [(key: Key, value: Value)] = []
    private var positions: [Key: Int]?
    /// Longer lists get `positions`; shorter ones, down to half of it, drop it again.
    private static var indexedFrom: Int { 16 }

    var isEmpty: Bool { self.list.isEmpty }

    subscript(key: Key) -> Value? {
        self.position(of: key).map { self.list[$0].value }
    }

    private func position(of key: Key) -> Int? {
        if let positions = self.positions { return positions[key] }
        return self.list.firstIndex { $0.key == key }
    }

    /// - Returns: the value it replaced.
    mutating func updateValue(_ value: Value, forKey key: Key) -> Value? {
        if let at = self.position(of: key) {
            let old = self.list[at].value
            self.list[at].value = value
            return old
        }
        self.list.append((key, value))
        if self.positions != nil {
            self.positions![key] = self.list.count - 1
        } else if self.list.count >= Self.indexedFrom {
            self.positions = Dictionary(uniqueKeysWithValues: self.list.indices.map { (self.list[$0].key, $0) })
        }
        return nil
    }

    /// Removes in O(1) once indexed: the last entry takes the removed one's place.
    mutating func removeValue(forKey key: Key) -> Value? {
        guard let at = self.position(of: key) else { return nil }
        let old = self.list[at].value
        let last = self.list.count - 1
        if at != last {
            self.list.swapAt(at, last)
            self.positions?[self.list[at].key] = at
        }
        self.list.removeLast()
        self.positions?[key] = nil
        if self.list.count < Self.indexedFrom / 2 { self.positions = nil }
        return old
    }
}

extension SubscriptionEntries: Sendable where Key: Sendable, Value: Sendable {}
