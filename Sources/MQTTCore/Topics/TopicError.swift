/// Why a string is not a valid topic name, topic filter or shared subscription.
public enum TopicError: Error, Hashable, Sendable {
    case empty
    /// `+` or `#` in a topic name, where they are never allowed.
    case wildcardInTopicName
    /// `+` or `#` that is not a whole level, or `#` that is not the last level.
    case misplacedWildcard
    /// `$share/` without a non-empty group free of wildcards and `/`, or without a filter.
    case invalidSharedSubscription
}
