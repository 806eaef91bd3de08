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
}

extension ConnectionPolicy {
    public mutating func canPublish(topic: String) -> Bool {
        publishDecision(topic: topic).isAllowed
    }

    public mutating func canSubscribe(filter: String) -> Bool {
        subscribeDecision(filter: filter).isAllowed
    }
}
