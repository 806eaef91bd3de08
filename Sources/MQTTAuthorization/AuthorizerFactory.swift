import Logging

/// A configuration the authorizer cannot start with; the message names the variable.
public struct AuthorizationConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Builds the authorizer the broker runs from its configuration.
public enum AuthorizerFactory {
    /// Throws `ACLFileError` (file and line) or `AuthorizationConfigurationError` (variable name):
    /// either way start-up must stop with the error's description.
    public static func make(
        mode: AuthorizationMode,
        aclFilePath: String?,
        v2kMark: String = "v2k-bridge",
        k2vMark: String = "k2v-bridge",
        logger: Logger? = nil
    ) throws -> any Authorizer {
        switch mode {
        case .none:
            logger?.warning("authorization is off (BROKER_AUTHZ=none): every client may publish and subscribe anywhere")
            return AllowAllAuthorizer()
        case .aclFile:
            guard let aclFilePath, !aclFilePath.isEmpty else {
                throw AuthorizationConfigurationError("BROKER_ACL_FILE must name a file when BROKER_AUTHZ=acl-file")
            }
            let authorizer = try ACLFileAuthorizer(path: aclFilePath)
            logger?.info("authorization from acl-file", metadata: ["file": "\(aclFilePath)", "rules": "\(authorizer.ruleCount)"])
            for warning in authorizer.warnings { logger?.warning("\(warning)") }
            return authorizer
        case .dojot:
            try validateMarks(v2k: v2kMark, k2v: k2vMark)
            logger?.info("dojot authorization", metadata: ["v2kMark": "\(v2kMark)", "k2vMark": "\(k2vMark)"])
            return DojotAuthorizer(v2kMark: v2kMark, k2vMark: k2vMark)
        }
    }

    /// Marks must be non-empty (an empty one is in every identity), free of `:` (identities with
    /// a `:` are never services) and of each other (an identity with both marks is refused, so
    /// nested marks would lock one service out).
    public static func validateMarks(v2k: String, k2v: String) throws(AuthorizationConfigurationError) {
        for (name, mark) in [("PLUGIN_ACL_V2K_SERVICENAME", v2k), ("PLUGIN_ACL_K2V_SERVICENAME", k2v)] {
            guard !mark.isEmpty else { throw AuthorizationConfigurationError("\(name) must not be empty") }
            guard !mark.utf8.contains(UTF8Bytes.colon) else {
                throw AuthorizationConfigurationError("\(name)='\(mark)' must not contain ':' (identities with ':' are devices)")
            }
        }
        guard !UTF8Bytes.contains(v2k, k2v), !UTF8Bytes.contains(k2v, v2k) else {
            throw AuthorizationConfigurationError(
                "PLUGIN_ACL_V2K_SERVICENAME='\(v2k)' and PLUGIN_ACL_K2V_SERVICENAME='\(k2v)' must not contain one another"
            )
        }
    }
}
