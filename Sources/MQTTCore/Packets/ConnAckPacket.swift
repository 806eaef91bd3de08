/// CONNACK return codes of MQTT 3.1/3.1.1.
public enum ConnectReturnCode: UInt8, Sendable, Hashable, CaseIterable {
    case accepted = 0
    case unacceptableProtocolVersion = 1
    case identifierRejected = 2
    case serverUnavailable = 3
    case badUsernameOrPassword = 4
    case notAuthorized = 5
}

/// CONNACK: the server's answer to CONNECT.
public struct ConnAckPacket: Sendable, Hashable {
    public var sessionPresent: Bool
    public var returnCode: ConnectReturnCode

    public init(sessionPresent: Bool = false, returnCode: ConnectReturnCode) {
        self.sessionPresent = sessionPresent
        self.returnCode = returnCode
    }
}
