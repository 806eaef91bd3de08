import MQTTCore

/// One connection's acl-file rights: the rules for everyone plus its user block, patterns
/// substituted. Deny wins; no grant means denied. A subscription is granted when some topic it
/// matches is readable; when not every one is, its deliveries pass a `TopicReadFilter`.
struct ACLConnectionPolicy: ConnectionPolicy {
    private(set) var readGrants: [String] = []
    private(set) var writeGrants: [String] = []
    private(set) var denials: [String] = []
    /// Set when a `pattern deny` line cannot be applied because the client chose an identity or
    /// client id holding `/`, `+` or `#`: such a client must not escape a denial by its choice.
    private(set) var deniesEverything = false
    private var recentPublishes = RecentDecisionCache()

    init(rules: [ACLRule], identity: String?, clientID: String) {
        for rule in rules {
            var filter = rule.filter
            if rule.isPattern {
                switch PatternSubstitution.substitute(rule.filter, identity: identity, clientID: clientID) {
                case .filter(let substituted): filter = substituted
                case .missingValue: continue
                case .unsafeValue:
                    if rule.access == .deny { deniesEverything = true }
                    continue
                }
            }
            if rule.access == .deny { denials.append(filter) }
            if rule.access.grantsRead { readGrants.append(filter) }
            if rule.access.grantsWrite { writeGrants.append(filter) }
        }
    }

    mutating func publishDecision(topic: String) -> AccessDecision {
        if let cached = recentPublishes.decision(for: topic) { return cached }
        let decision = decidePublish(topic)
        recentPublishes.store(decision, for: topic)
        return decision
    }

    private func decidePublish(_ topic: String) -> AccessDecision {
        guard Topic.isValidName(topic) else { return .denied(.invalidTopic) }
        if deniesEverything { return .denied(.aclUnsafePatternValue) }
        if denials.contains(where: { Topic.matches(filter: $0, topic: topic) }) { return .denied(.aclDenyRule) }
        return writeGrants.contains(where: { Topic.matches(filter: $0, topic: topic) }) ? .allowed : .denied(.aclNoGrant)
    }

    func subscribeDecision(filter: String) -> AccessDecision {
        guard let inner = Self.innerFilter(filter) else { return .denied(.invalidTopic) }
        if deniesEverything { return .denied(.aclUnsafePatternValue) }
        // Wholly inside a deny (`test/nosubscribe` denied, or `secret/#` under `secret/#`): 0x80.
        if denials.contains(where: { FilterRelations.covers(grant: $0, subscription: inner) }) { return .denied(.aclDenyRule) }
        return readGrants.contains(where: { FilterRelations.overlap($0, inner) }) ? .allowed : .denied(.aclNoGrant)
    }

    func readFilter(forSubscription filter: String) -> TopicReadFilter? {
        guard let inner = Self.innerFilter(filter) else { return nil }
        let whollyReadable =
            readGrants.contains { FilterRelations.covers(grant: $0, subscription: inner) }
            && !denials.contains { FilterRelations.overlap($0, inner) }
        return whollyReadable ? nil : TopicReadFilter(readGrants: readGrants, denials: denials)
    }

    /// The filter proper of a plain or shared (`$share/<group>/<filter>`) subscription; nil when invalid.
    private static func innerFilter(_ filter: String) -> String? {
        do {
            if let shared = try SharedFilter.parse(filter) { return shared.filter }
            try Topic.validateFilter(filter)
            return filter
        } catch {
            return nil
        }
    }
}
