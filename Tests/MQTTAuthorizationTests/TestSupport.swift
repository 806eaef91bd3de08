@testable import MQTTAuthorization

/// A client as the TLS listener (verified certificate) or the plain listener would present it.
func tlsClient(_ identity: String?, clientID: String = "client-1") -> ClientIdentity {
    ClientIdentity(identity: identity, clientID: clientID, viaVerifiedCertificate: true)
}

func plainClient(_ identity: String?, clientID: String = "client-1") -> ClientIdentity {
    ClientIdentity(identity: identity, clientID: clientID, viaVerifiedCertificate: false)
}

/// Holds a connection policy so tests can call its mutating methods inside `#expect`
/// (the macro captures its operands immutably).
final class PolicyProbe {
    private var policy: any ConnectionPolicy

    init(_ policy: any ConnectionPolicy) { self.policy = policy }

    func publishes(_ topic: String) -> Bool { policy.canPublish(topic: topic) }
    func subscribes(_ filter: String) -> Bool { policy.canSubscribe(filter: filter) }
    func publishDecision(topic: String) -> AccessDecision { policy.publishDecision(topic: topic) }
    func subscribeDecision(filter: String) -> AccessDecision { policy.subscribeDecision(filter: filter) }
}

extension Authorizer {
    /// The policy of a client that must have been allowed to connect.
    func policy(_ client: ClientIdentity) -> PolicyProbe {
        precondition(authorizeConnect(client).isAllowed, "test client \(client) should connect")
        return PolicyProbe(connectionPolicy(for: client))
    }

    /// The policy the broker would get for any client, connected or not.
    func probe(_ client: ClientIdentity) -> PolicyProbe {
        PolicyProbe(connectionPolicy(for: client))
    }

    /// What deliveries of a granted `filter` must pass; nil when it is wholly readable.
    func readFilter(_ client: ClientIdentity, _ filter: String) -> TopicReadFilter? {
        connectionPolicy(for: client).readFilter(forSubscription: filter)
    }
}
