/// The broker's limits (SPEC section 3, "Listeners and limits").
public struct BrokerLimits: Sendable, Hashable {
    /// Larger packets close the connection.
    public var maxPacketBytes: Int = 262_144
    /// Unacknowledged outgoing QoS 1/2 messages per session.
    public var maxInflight: Int = 100
    /// Messages waiting per session beyond the in-flight window; past it the oldest are dropped
    /// (except for shared-subscription messages, which push back on publishers instead).
    public var maxQueued: Int = 1000
    /// The first packet (CONNECT) may not be larger: before it the peer is nobody.
    public var maxConnectPacketBytes: Int = 16_384
    /// Open connections in all, and from one IP address (0: no limit); past either a new
    /// connection is closed at accept.
    public var maxConnections: Int = 100_000
    public var maxConnectionsPerAddress: Int = 1000
    public var maxClientIDLength: Int = 256
    /// QoS 1/2 PUBLISHes of one connection waiting for their acknowledgement (end to end); past
    /// it the broker stops reading from that publisher until half of them are acknowledged.
    public var maxUnacknowledgedPublishes: Int = 1000
    /// Sessions one identity may hold at once; past it a new session replaces the identity's
    /// longest-known offline one, or is refused when all are online.
    public var maxSessionsPerIdentity: Int = 100
    /// Retained messages kept in all; a retained PUBLISH to a new topic past either bound is
    /// delivered but not retained (replacing or clearing an existing one always works).
    public var maxRetainedMessages: Int = 100_000
    public var maxRetainedBytes: Int = 64 << 20
    /// A connection that has not completed its TLS handshake and CONNECT by then is closed.
    public var connectTimeoutMilliseconds: Int64 = 10_000

    public init() {}
}
