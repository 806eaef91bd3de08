/// `BROKER_AUTHZ=none`: a generic broker, everything allowed.
public struct AllowAllAuthorizer: Authorizer {
    public init() {}

    public func authorizeConnect(_ client: ClientIdentity) -> ConnectVerdict { .allowed }

    public func connectionPolicy(for client: ClientIdentity) -> any ConnectionPolicy {
        AllowAllPolicy()
    }
}

struct AllowAllPolicy: ConnectionPolicy {
    func publishDecision(topic: String) -> AccessDecision { .allowed }
    func subscribeDecision(filter: String) -> AccessDecision { .allowed }
}

/// What a connection refused at CONNECT gets if the broker asks for its policy anyway.
struct DenyAllPolicy: ConnectionPolicy {
    func publishDecision(topic: String) -> AccessDecision { .denied(.identityNotAuthorized) }
    func subscribeDecision(filter: String) -> AccessDecision { .denied(.identityNotAuthorized) }
}
