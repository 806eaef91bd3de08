/// The protocol levels this project speaks: MQTT 3.1 (`MQIsdp`, level 3) and 3.1.1 (`MQTT`, level 4).
public enum ProtocolVersion: UInt8, Sendable, Hashable {
    case v3_1 = 3
    case v3_1_1 = 4

    /// The protocol name the CONNECT packet carries for this level.
    public var protocolName: String {
        switch self {
        case .v3_1: "MQIsdp"
        case .v3_1_1: "MQTT"
        }
    }
}
