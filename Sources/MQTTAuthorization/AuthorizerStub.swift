// Temporary stand-in until the authorization module lands; same interface.
public struct ClientIdentity: Sendable, Hashable {
    public var identity: String?
    public var clientID: String
    public var viaVerifiedCertificate: Bool
    public init(identity: String?, clientID: String, viaVerifiedCertificate: Bool) {
        self.identity = identity
        self.clientID = clientID
        self.viaVerifiedCertificate = viaVerifiedCertificate
    }
}
public enum ConnectVerdict: Sendable, Hashable { case allowed; case refused(reason: String) }
public protocol Authorizer: Sendable {
    func authorizeConnect(_ client: ClientIdentity) -> ConnectVerdict
    func connectionPolicy(for client: ClientIdentity) -> any ConnectionPolicy
}
public protocol ConnectionPolicy {
    mutating func canPublish(topic: String) -> Bool
    mutating func canSubscribe(filter: String) -> Bool
}
public struct AllowAllAuthorizer: Authorizer {
    struct Policy: ConnectionPolicy {
        func canPublish(topic: String) -> Bool { true }
        func canSubscribe(filter: String) -> Bool { true }
    }
    public init() {}
    public func authorizeConnect(_ client: ClientIdentity) -> ConnectVerdict { .allowed }
    public func connectionPolicy(for client: ClientIdentity) -> any ConnectionPolicy { Policy() }
}
