/// A trie from topic filters to subscribers: matching walks only the branches a topic can reach,
/// and inserting or removing touches one path.
///
/// It is a value type of plain arrays, so a copy is an immutable snapshot that any number of
/// threads can read at once (it is `Sendable` when its keys and values are). A broker keeps one
/// writer per copy: for instance one copy per event loop, each updated on its own loop, so that
/// routing reads without any lock.
public struct SubscriptionIndex<Key: Hashable, Value> {
    fileprivate struct Node {
        var children: [TopicLevel: Int32] = [:]
        var singleLevel: Int32 = -1
        var multiLevel: Int32 = -1
        var entries = SubscriptionEntries<Key, Value>()
        var parent: Int32
        var level: TopicLevel?

        var isEmpty: Bool { entries.isEmpty && children.isEmpty && singleLevel < 0 && multiLevel < 0 }
    }

    private var nodes: [Node] = [Node(parent: -1)]
    private var freeNodes: [Int32] = []
    /// How many (filter, key) pairs the index holds.
    public private(set) var count = 0

    public init() {}

    /// Adds or replaces the entry of `key` for `filter` (a valid, non-shared filter).
    /// - Returns: the value it replaced.
    @discardableResult
    public mutating func insert(filter: String, key: Key, value: Value) -> Value? {
        var node: Int32 = 0
        for level in filter.utf8.split(separator: Topic.separator, omittingEmptySubsequences: false) {
            node = self.child(of: node, level: Substring(level).utf8, create: true)!
        }
        let old = self.nodes[Int(node)].entries.updateValue(value, forKey: key)
        if old == nil { self.count += 1 }
        return old
    }

    /// Removes the entry of `key` for `filter`, and the nodes that no longer lead anywhere.
    @discardableResult
    public mutating func remove(filter: String, key: Key) -> Value? {
        var node: Int32 = 0
        for level in filter.utf8.split(separator: Topic.separator, omittingEmptySubsequences: false) {
            guard let next = self.child(of: node, level: Substring(level).utf8, create: false) else { return nil }
            node = next
        }
        guard let old = self.nodes[Int(node)].entries.removeValue(forKey: key) else { return nil }
        self.count -= 1
        self.prune(from: node)
        return old
    }

    /// The entry of `key` for exactly `filter`.
    public func value(filter: String, key: Key) -> Value? {
        var node: Int32 = 0
        for level in filter.utf8.split(separator: Topic.separator, omittingEmptySubsequences: false) {
            let bytes = Substring(level).utf8
            let next: Int32? =
                switch Self.wildcard(bytes) {
                case Topic.singleLevelWildcard: self.nodes[Int(node)].singleLevel
                case Topic.multiLevelWildcard: self.nodes[Int(node)].multiLevel
                default: self.nodes[Int(node)].children[TopicLevel(bytes)]
                }
            guard let next, next >= 0 else { return nil }
            node = next
        }
        return self.nodes[Int(node)].entries[key]
    }

    /// Calls `body` once for every (key, value) of every filter that matches `topic`. A key
    /// subscribed through several matching filters is reported once per filter.
    public func forEachMatch(topic: String, _ body: (Key, Value) -> Void) {
        let utf8 = topic.utf8
        let wildcardsAllowed = utf8.first != Topic.dollar
        self.match(node: 0, topic: utf8, from: utf8.startIndex, rootWildcards: wildcardsAllowed, body)
    }

    /// All the matches of `topic`, for callers that are not on a hot path.
    public func matches(topic: String) -> [(key: Key, value: Value)] {
        var result: [(key: Key, value: Value)] = []
        self.forEachMatch(topic: topic) { result.append(($0, $1)) }
        return result
    }

    private func match(
        node index: Int32, topic: String.UTF8View, from start: String.Index?, rootWildcards: Bool,
        _ body: (Key, Value) -> Void
    ) {
        // Fields are read in place: a copy of the node would retain its two dictionaries and
        // its level once per node and message.
        let at = Int(index)
        let multiLevel = self.nodes[at].multiLevel
        // Wildcards at the first level never match `$` topics.
        let wildcards = index != 0 || rootWildcards
        guard let start else {
            self.report(node: at, body)
            // `a/#` also matches `a` (MQTT-4.7.1-2).
            if multiLevel >= 0 { self.report(node: Int(multiLevel), body) }
            return
        }
        if wildcards && multiLevel >= 0 { self.report(node: Int(multiLevel), body) }
        let slash = topic[start...].firstIndex(of: Topic.separator)
        let next = slash.map { topic.index(after: $0) }
        let singleLevel = self.nodes[at].singleLevel
        if wildcards && singleLevel >= 0 {
            self.match(node: singleLevel, topic: topic, from: next, rootWildcards: true, body)
        }
        if !self.nodes[at].children.isEmpty {
            let level = TopicLevel(Substring(topic[start..<(slash ?? topic.endIndex)]).utf8)
            if let child = self.nodes[at].children[level] {
                self.match(node: child, topic: topic, from: next, rootWildcards: true, body)
            }
        }
    }

    private func report(node: Int, _ body: (Key, Value) -> Void) {
        for i in self.nodes[node].entries.list.indices {
            body(self.nodes[node].entries.list[i].key, self.nodes[node].entries.list[i].value)
        }
    }

    private static func wildcard(_ level: Substring.UTF8View) -> UInt8? {
        guard level.count == 1, let byte = level.first,
            byte == Topic.singleLevelWildcard || byte == Topic.multiLevelWildcard
        else { return nil }
        return byte
    }

    private mutating func child(of parent: Int32, level: Substring.UTF8View, create: Bool) -> Int32? {
        let wildcard = Self.wildcard(level)
        let existing: Int32 =
            switch wildcard {
            case Topic.singleLevelWildcard: self.nodes[Int(parent)].singleLevel
            case Topic.multiLevelWildcard: self.nodes[Int(parent)].multiLevel
            default: self.nodes[Int(parent)].children[TopicLevel(level)] ?? -1
            }
        if existing >= 0 { return existing }
        guard create else { return nil }
        let key = wildcard == nil ? TopicLevel(level) : nil
        let node = self.allocate(Node(parent: parent, level: key))
        switch wildcard {
        case Topic.singleLevelWildcard: self.nodes[Int(parent)].singleLevel = node
        case Topic.multiLevelWildcard: self.nodes[Int(parent)].multiLevel = node
        default: self.nodes[Int(parent)].children[TopicLevel(level)] = node
        }
        return node
    }

    private mutating func allocate(_ node: Node) -> Int32 {
        if let index = self.freeNodes.popLast() {
            self.nodes[Int(index)] = node
            return index
        }
        self.nodes.append(node)
        return Int32(self.nodes.count - 1)
    }

    private mutating func prune(from start: Int32) {
        var index = start
        while index != 0 && self.nodes[Int(index)].isEmpty {
            let node = self.nodes[Int(index)]
            let parent = Int(node.parent)
            if let level = node.level {
                self.nodes[parent].children.removeValue(forKey: level)
            } else if self.nodes[parent].singleLevel == index {
                self.nodes[parent].singleLevel = -1
            } else {
                self.nodes[parent].multiLevel = -1
            }
            self.nodes[Int(index)] = Node(parent: -1)
            self.freeNodes.append(index)
            index = node.parent
        }
    }
}

extension SubscriptionIndex: Sendable where Key: Sendable, Value: Sendable {}
extension SubscriptionIndex.Node: Sendable where Key: Sendable, Value: Sendable {}
