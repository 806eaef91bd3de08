extension Topic {
    /// Whether `filter` matches `topic`, level by level, the plain way. The subscription index is
    /// the fast path; this is its reference (and what tests compare it with).
    /// A leading `+` or `#` never matches a topic that starts with `$` (MQTT-4.7.2-1).
    public static func matches(filter: String, topic: String) -> Bool {
        if topic.utf8.first == dollar, let first = filter.utf8.first,
            first == singleLevelWildcard || first == multiLevelWildcard
        {
            return false
        }
        let filterLevels = filter.utf8.split(separator: separator, omittingEmptySubsequences: false)
        let topicLevels = topic.utf8.split(separator: separator, omittingEmptySubsequences: false)
        for (index, level) in filterLevels.enumerated() {
            if level.elementsEqual([multiLevelWildcard]) { return true }
            guard index < topicLevels.count else { return false }
            if level.elementsEqual([singleLevelWildcard]) { continue }
            guard level.elementsEqual(topicLevels[index]) else { return false }
        }
        return filterLevels.count == topicLevels.count
    }
}
