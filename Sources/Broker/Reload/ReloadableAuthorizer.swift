import MQTTAuthorization
import NIOConcurrencyHelpers

/// The authorizer in force, replaceable while the broker runs (acl-file reload). Read at CONNECT
/// and when a connection recompiles its policy, never per message.
final class ReloadableAuthorizer: Authorizer {
    private let current: NIOLockedValueBox<any Authorizer>

    init(_ initial: any Authorizer) {
        self.current = NIOLockedValueBox(initial)
    }

    func replace(with authorizer: any Authorizer) {
        self.current.withLockedValue { $0 = authorizer }
    }

    func authorizeConnect(_ client: ClientIdentity) -> ConnectVerdict {
        self.current.withLockedValue { $0 }.authorizeConnect(client)
    }

    func connectionPolicy(for client: ClientIdentity) -> any ConnectionPolicy {
        self.current.withLockedValue { $0 }.connectionPolicy(for: client)
    }
}

/// Sent through every client pipeline after the rules changed: each connection compiles its
/// policy again and drops the subscriptions the new rules no longer allow.
struct AuthorizationChanged: Sendable {}
