/// `BROKER_AUTHZ`: which authorizer the broker runs.
public enum AuthorizationMode: String, Sendable, CaseIterable {
    case none
    case aclFile = "acl-file"
    case dojot
}
