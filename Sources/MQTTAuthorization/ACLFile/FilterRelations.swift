/// Relations between two topic filters, level by level, with MQTT's rule that a leading `+` or
/// `#` never matches a topic starting with `$`.
enum FilterRelations {
    private typealias Level = Substring.UTF8View

    /// Whether every topic `subscription` can match is also matched by `grant` (mosquitto's
    /// rule for subscribe ACLs): `a/+` is covered by `a/+` and `a/#`, not by `a/b`; `a/#` only by
    /// `a/#` or `#`; `a` by `a/#` (which matches its parent level).
    static func covers(grant: String, subscription: String) -> Bool {
        let granted = levels(grant)
        let wanted = levels(subscription)
        if isWildcard(granted[0]) && isDollarLiteral(wanted[0]) { return false }
        for (index, level) in wanted.enumerated() {
            guard index < granted.count else { return false }
            let grantLevel = granted[index]
            if isMultiLevel(grantLevel) { return true }
            if isMultiLevel(level) { return false }
            if isSingleLevel(level) {
                guard isSingleLevel(grantLevel) else { return false }
                continue
            }
            guard isSingleLevel(grantLevel) || grantLevel.elementsEqual(level) else { return false }
        }
        if granted.count == wanted.count { return true }
        return granted.count == wanted.count + 1 && isMultiLevel(granted[wanted.count])
    }

    /// Whether some topic is matched by both filters: a grant overlapping a subscription makes it
    /// partly readable; a deny overlapping it makes its deliveries pass a filter.
    static func overlap(_ lhs: String, _ rhs: String) -> Bool {
        let left = levels(lhs)
        let right = levels(rhs)
        if isWildcard(left[0]) && isDollarLiteral(right[0]) { return false }
        if isWildcard(right[0]) && isDollarLiteral(left[0]) { return false }
        var index = 0
        while true {
            let leftEnded = index >= left.count
            let rightEnded = index >= right.count
            if leftEnded && rightEnded { return true }
            if leftEnded { return isMultiLevel(right[index]) }
            if rightEnded { return isMultiLevel(left[index]) }
            let (l, r) = (left[index], right[index])
            if isMultiLevel(l) || isMultiLevel(r) { return true }
            guard isSingleLevel(l) || isSingleLevel(r) || l.elementsEqual(r) else { return false }
            index += 1
        }
    }

    private static func levels(_ filter: String) -> [Level] {
        filter.utf8.split(separator: UTF8Bytes.slash, omittingEmptySubsequences: false).map { Substring($0).utf8 }
    }

    private static func isSingleLevel(_ level: Level) -> Bool {
        level.count == 1 && level.first == UTF8Bytes.plus
    }

    private static func isMultiLevel(_ level: Level) -> Bool {
        level.count == 1 && level.first == UTF8Bytes.hash
    }

    private static func isWildcard(_ level: Level) -> Bool {
        isSingleLevel(level) || isMultiLevel(level)
    }

    private static func isDollarLiteral(_ level: Level) -> Bool {
        level.first == UInt8(ascii: "$")
    }
}
