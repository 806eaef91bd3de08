/// Why a client operation failed.
public enum MQTTClientError: Error, Sendable, CustomStringConvertible {
    /// The broker answered CONNECT with a refusal.
    case connectionRefused(ConnectReturnCode)
    /// No CONNACK (TCP, TLS and CONNECT included) within the configured connect timeout.
    case connectTimeout
    /// The broker did not answer PINGREQ in time; the connection was closed.
    case keepAliveTimeout
    /// The operation needs a connection and there is none (and none is being re-established).
    case notConnected
    /// `connect()` while a connection exists or is being made.
    case alreadyConnected
    /// The connection ended before the operation completed, and cannot be resumed on a later one.
    case connectionClosed
    /// `disconnect()` was called while the operation was pending.
    case disconnected
    /// `shutdown()` was called; the client is finished.
    case shutdown
    /// The broker sent something the protocol does not allow here; the connection was closed.
    case protocolViolation(String)
    case invalidTopicName(String, TopicError)
    case invalidTopicFilter(String, TopicError)
    /// The packet cannot be written (a field or the whole packet too long).
    case encoding(MQTTEncodingError)
    /// TCP or TLS failed; `description` carries the underlying error.
    case transport(String)

    public var description: String {
        switch self {
        case .connectionRefused(let code): "connection refused by the broker: \(code)"
        case .connectTimeout: "no CONNACK within the connect timeout"
        case .keepAliveTimeout: "no PINGRESP within the ping timeout"
        case .notConnected: "not connected"
        case .alreadyConnected: "already connected or connecting"
        case .connectionClosed: "connection closed"
        case .disconnected: "disconnected by the application"
        case .shutdown: "client shut down"
        case .protocolViolation(let what): "protocol violation by the broker: \(what)"
        case .invalidTopicName(let name, let error): "invalid topic name '\(name)': \(error)"
        case .invalidTopicFilter(let filter, let error): "invalid topic filter '\(filter)': \(error)"
        case .encoding(let error): "cannot encode the packet: \(error)"
        case .transport(let message): "transport error: \(message)"
        }
    }
}
