/// A small per-connection cache of publish decisions by topic: devices publish to a handful of
/// topics over and over. Fixed size, round-robin replacement, linear byte-wise lookup (no hashing,
/// which for `String` would also conflate canonically equivalent topics); allocates only in `init`.
struct RecentDecisionCache {
    private var topics: [String?]
    private var decisions: [AccessDecision]
    private var nextSlot = 0

    init(capacity: Int = 16) {
        precondition(capacity > 0, "cache capacity must be positive")
        topics = Array(repeating: nil, count: capacity)
        decisions = Array(repeating: .allowed, count: capacity)
    }

    func decision(for topic: String) -> AccessDecision? {
        for slot in topics.indices {
            if let cached = topics[slot], UTF8Bytes.equal(cached, topic) { return decisions[slot] }
        }
        return nil
    }

    mutating func store(_ decision: AccessDecision, for topic: String) {
        topics[nextSlot] = topic
        decisions[nextSlot] = decision
        nextSlot = (nextSlot + 1) % topics.count
    }
}
