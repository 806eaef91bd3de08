import MQTTCore

/// Decides who may connect and compiles, per connection, what it may publish and subscribe.
public protocol Authorizer: Sendable {
    func authorizeConnect(_ client: ClientIdentity) -> ConnectVerdict
    /// Compiled once per connection after CONNECT (substitutions, precomputed topics); used on
    /// that connection's event loop only.
    func connectionPolicy(for client: ClientIdentity) -> any ConnectionPolicy
}

/// One connection's rights. Not Sendable on purpose: one per connection, used on one event loop,
/// so it can keep a cache without locks.
public protocol ConnectionPolicy {
    /// Hot path: called for every PUBLISH.
    mutating func canPublish(topic: String) -> Bool
    /// `filter` may be a shared one: `$share/<group>/<filter>`.
    mutating func canSubscribe(filter: String) -> Bool
    /// As `canPublish`, with the reason of a denial (for logs and metrics).
    mutating func publishDecision(topic: String) -> AccessDecision
    /// As `canSubscribe`, with the reason of a denial.
    mutating func subscribeDecision(filter: String) -> AccessDecision
    /// For a granted filter that is only partly readable: what each delivery must pass. nil when
    /// every topic the filter matches is readable (no check per message).
    func readFilter(forSubscription filter: String) -> TopicReadFilter?
}

extension ConnectionPolicy {
    public func readFilter(forSubscription filter: String) -> TopicReadFilter? { nil }

    public mutating func canPublish(topic: String) -> Bool {
        publishDecision(topic: topic).isAllowed
    }

    public mutating func canSubscribe(filter: String) -> Bool {
        subscribeDecision(filter: filter).isAllowed
    }
}

/// Which topics a subscription may receive when its filter is only partly readable (an acl-file
/// `topic readwrite #` with `topic deny secret/#`: `#` is granted, `secret/...` messages are not
/// delivered). Immutable, so every event loop's copy of the subscription index can hold it.
public struct TopicReadFilter: Sendable {
    let readGrants: [String]
    let denials: [String]

    public init(readGrants: [String], denials: [String]) {
        self.readGrants = readGrants
        self.denials = denials
    }

    /// Checked per delivery of a filtered subscription only.
    public func allows(topic: String) -> Bool {
        !denials.contains { Topic.matches(filter: $0, topic: topic) }
            && readGrants.contains { Topic.matches(filter: $0, topic: topic) }
    }
}
