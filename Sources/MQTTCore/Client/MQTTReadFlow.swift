/// Outbound user events about inbound flow control on a client channel.
enum MQTTReadFlow: Sendable {
    /// From the client: the application consumes messages again; read the socket.
    case resume
    /// From the client channel handler to the keepalive handler: reads are held back, so a late
    /// PINGRESP may be unread rather than missing.
    case paused
    case resumed
}
