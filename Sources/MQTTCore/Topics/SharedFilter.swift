/// A shared subscription `$share/<group>/<filter>`: each matching message goes to one member of
/// the group.
public struct SharedFilter: Sendable, Hashable {
    public static let prefix = "$share/"

    public var group: String
    public var filter: String

    public init(group: String, filter: String) {
        self.group = group
        self.filter = filter
    }

    /// Parses a subscription filter: nil when it is not a shared one, a `SharedFilter` when it
    /// is, and an error when it starts with `$share/` but is not a valid shared subscription.
    public static func parse(_ filter: String) throws(TopicError) -> SharedFilter? {
        guard filter.hasPrefix(prefix) else { return nil }
        let rest = filter.utf8.dropFirst(prefix.utf8.count)
        guard let slash = rest.firstIndex(of: Topic.separator) else { throw .invalidSharedSubscription }
        let group = rest[..<slash]
        let inner = rest[rest.index(after: slash)...]
        guard !group.isEmpty,
            !group.contains(Topic.singleLevelWildcard), !group.contains(Topic.multiLevelWildcard),
            !inner.isEmpty
        else { throw .invalidSharedSubscription }
        let innerFilter = String(Substring(inner))
        try Topic.validateFilter(innerFilter)
        return SharedFilter(group: String(Substring(group)), filter: innerFilter)
    }
}
