/// Which listener a connection came in on: it decides where the client's identity comes from.
enum Listener: Sendable, Hashable {
    /// Identity is the CONNECT user name (testing only).
    case plain
    /// Identity is the CN of the verified client certificate.
    case mutualTLS
}
