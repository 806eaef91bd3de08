/// Who is on the other end of a connection, as the broker established it after CONNECT.
public struct ClientIdentity: Sendable, Hashable {
    /// Certificate CN on TLS listeners, CONNECT username on the plain listener; nil when absent.
    public var identity: String?
    public var clientID: String
    /// True only when `identity` comes from a client certificate the TLS layer verified.
    public var viaVerifiedCertificate: Bool

    public init(identity: String?, clientID: String, viaVerifiedCertificate: Bool) {
        self.identity = identity
        self.clientID = clientID
        self.viaVerifiedCertificate = viaVerifiedCertificate
    }
}

extension ClientIdentity {
    /// Whether the identity has the device shape `tenant:device` (exactly one `:`, both parts
    /// non-empty): the dojot rules and the connection lifetime treat only these as devices.
    public var isDeviceIdentity: Bool {
        guard let identity else { return false }
        return UTF8Bytes.isDeviceShaped(identity)
    }
}
