import NIOCore

/// A change of a client's connection, for readiness endpoints and logs.
public enum MQTTConnectionEvent: Sendable {
    /// CONNACK accepted. `sessionPresent`: the broker kept the session from before.
    case connected(sessionPresent: Bool)
    /// The connection ended; `error` is nil after `disconnect()`.
    case disconnected(error: MQTTClientError?)
    /// A reconnect attempt is scheduled after `delay`.
    case reconnecting(attempt: Int, delay: TimeAmount)
}
