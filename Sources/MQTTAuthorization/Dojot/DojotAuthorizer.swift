/// `BROKER_AUTHZ=dojot`: devices `tenant:device` own `<identity>/attrs` (publish) and
/// `<identity>/config` (subscribe); the v2k service reads every device's attrs, the k2v service
/// writes every device's config; services only with a verified client certificate.
public struct DojotAuthorizer: Authorizer {
    public let v2kMark: String
    public let k2vMark: String

    /// Use `AuthorizerFactory` to have the marks validated; here an empty mark simply never matches.
    public init(v2kMark: String = "v2k-bridge", k2vMark: String = "k2v-bridge") {
        self.v2kMark = v2kMark
        self.k2vMark = k2vMark
    }

    public func authorizeConnect(_ client: ClientIdentity) -> ConnectVerdict {
        if case .refused(let reason) = role(of: client) { return .refused(reason: reason) }
        return .allowed
    }

    public func connectionPolicy(for client: ClientIdentity) -> any ConnectionPolicy {
        switch role(of: client) {
        case .device(let identity): DojotDevicePolicy(identity: identity)
        case .v2kService: DojotV2KServicePolicy()
        case .k2vService: DojotK2VServicePolicy()
        case .refused: DenyAllPolicy()
        }
    }

    /// What the client is under the dojot rules, or why it may not connect.
    func role(of client: ClientIdentity) -> DojotRole {
        DojotRole.classify(client, marks: DojotMarks(v2k: v2kMark, k2v: k2vMark))
    }
}
