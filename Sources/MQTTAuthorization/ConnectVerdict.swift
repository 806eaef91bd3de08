/// The authorizer's answer to a CONNECT; the broker answers `.refused` with CONNACK 0x05.
public enum ConnectVerdict: Sendable, Hashable {
    case allowed
    case refused(reason: String)

    public var isAllowed: Bool {
        if case .allowed = self { return true }
        return false
    }
}
