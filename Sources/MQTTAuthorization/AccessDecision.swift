/// The answer to one PUBLISH or one SUBSCRIBE filter. The reason is a payload-free enum so that
/// deciding never allocates, even on denial; the broker can log it and use it as a metric label.
public enum AccessDecision: Sendable, Hashable {
    case allowed
    case denied(DenialReason)

    public var isAllowed: Bool {
        if case .allowed = self { return true }
        return false
    }
}

/// Why a PUBLISH or SUBSCRIBE was denied.
public enum DenialReason: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The topic name or filter is not valid MQTT (empty, misplaced wildcard, bad `$share`).
    case invalidTopic = "invalid-topic"
    /// A device published somewhere other than `<identity>/attrs`.
    case deviceMayPublishOnlyToOwnAttrs = "device-publish-topic"
    /// A device subscribed to something other than exactly `<identity>/config`.
    case deviceMaySubscribeOnlyToOwnConfig = "device-subscribe-filter"
    /// The v2k service has no publish right.
    case v2kServiceMayNotPublish = "v2k-publish"
    /// The v2k service subscribed to something other than `+/attrs`, `T:D/attrs` or their `$share` form.
    case v2kServiceFilterNotAllowed = "v2k-subscribe-filter"
    /// The k2v service has no subscribe right.
    case k2vServiceMayNotSubscribe = "k2v-subscribe"
    /// The k2v service published somewhere other than `<device>/config`.
    case k2vServiceTopicNotAllowed = "k2v-publish-topic"
    /// The connection was refused at CONNECT; its policy denies everything.
    case identityNotAuthorized = "identity-not-authorized"
    /// An acl-file `deny` line matches (publish) or overlaps (subscribe).
    case aclDenyRule = "acl-deny"
    /// No acl-file grant covers the topic or filter.
    case aclNoGrant = "acl-no-grant"
    /// A `pattern deny` line could not be applied: the identity or client id holds `/`, `+` or `#`.
    case aclUnsafePatternValue = "acl-unsafe-pattern-value"

    /// A short, stable label (for logs and metric labels).
    public var label: String { rawValue }

    public var description: String {
        switch self {
        case .invalidTopic: "invalid topic name or filter"
        case .deviceMayPublishOnlyToOwnAttrs: "a device may publish only to <identity>/attrs"
        case .deviceMaySubscribeOnlyToOwnConfig: "a device may subscribe only to <identity>/config"
        case .v2kServiceMayNotPublish: "the v2k service may not publish"
        case .v2kServiceFilterNotAllowed: "the v2k service may subscribe only to +/attrs or <tenant>:<device>/attrs (plain or $share)"
        case .k2vServiceMayNotSubscribe: "the k2v service may not subscribe"
        case .k2vServiceTopicNotAllowed: "the k2v service may publish only to <device>/config"
        case .identityNotAuthorized: "the identity was not authorized at CONNECT"
        case .aclDenyRule: "an acl-file deny rule applies"
        case .aclNoGrant: "no acl-file grant covers it"
        case .aclUnsafePatternValue: "the identity or client id holds '/', '+' or '#', so an acl-file pattern deny cannot be applied"
        }
    }
}
