/// The fourteen MQTT 3.1.1 control packet types (the high nibble of the fixed header).
public enum PacketType: UInt8, Sendable, Hashable, CaseIterable {
    case connect = 1
    case connack = 2
    case publish = 3
    case puback = 4
    case pubrec = 5
    case pubrel = 6
    case pubcomp = 7
    case subscribe = 8
    case suback = 9
    case unsubscribe = 10
    case unsuback = 11
    case pingreq = 12
    case pingresp = 13
    case disconnect = 14

    /// The fixed-header flags this type must carry; `nil` for PUBLISH, whose flags are its own.
    var requiredFlags: UInt8? {
        switch self {
        case .publish: nil
        case .pubrel, .subscribe, .unsubscribe: 0b0010
        default: 0
        }
    }

    /// A lower-case name for logs and metric labels.
    public var name: String {
        switch self {
        case .connect: "connect"
        case .connack: "connack"
        case .publish: "publish"
        case .puback: "puback"
        case .pubrec: "pubrec"
        case .pubrel: "pubrel"
        case .pubcomp: "pubcomp"
        case .subscribe: "subscribe"
        case .suback: "suback"
        case .unsubscribe: "unsubscribe"
        case .unsuback: "unsuback"
        case .pingreq: "pingreq"
        case .pingresp: "pingresp"
        case .disconnect: "disconnect"
        }
    }
}
