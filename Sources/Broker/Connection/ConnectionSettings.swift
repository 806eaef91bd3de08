/// The broker-wide settings every connection's state machine reads (one object, shared).
final class ConnectionSettings: Sendable {
    let connectTimeoutMilliseconds: Int64
    let maxClientIDLength: Int
    /// PUBLISHes whose acknowledgement may wait before reading from the publisher stops.
    let maxUnacknowledgedPublishes: Int
    /// End-to-end acknowledgement or a store: a QoS 1/2 acknowledgement may have to wait.
    let acknowledgementsMayWait: Bool
    /// The plain listener takes the identity from the MQTT username, not from a certificate.
    let identityFromUsername: Bool
    let deviceLifetimeMilliseconds: Int64?
    let lifetimeJitterPercent: Int
    /// How often a publisher paused on a full shared group looks for room again.
    let groupRoomCheckMilliseconds: Int64

    init(
        connectTimeoutMilliseconds: Int64, maxClientIDLength: Int, maxUnacknowledgedPublishes: Int, acknowledgementsMayWait: Bool,
        identityFromUsername: Bool, deviceLifetimeMilliseconds: Int64? = nil, lifetimeJitterPercent: Int = 0, groupRoomCheckMilliseconds: Int64 = 10
    ) {
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.maxClientIDLength = maxClientIDLength
        self.maxUnacknowledgedPublishes = maxUnacknowledgedPublishes
        self.acknowledgementsMayWait = acknowledgementsMayWait
        self.identityFromUsername = identityFromUsername
        self.deviceLifetimeMilliseconds = deviceLifetimeMilliseconds
        self.lifetimeJitterPercent = lifetimeJitterPercent
        self.groupRoomCheckMilliseconds = groupRoomCheckMilliseconds
    }
}
