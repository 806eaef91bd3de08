/// SUBSCRIBE: one or more topic filters, each with the maximum QoS the client asks for.
public struct SubscribePacket: Sendable, Hashable {
    public struct Subscription: Sendable, Hashable {
        public var filter: String
        public var qos: QoS

        public init(filter: String, qos: QoS) {
            self.filter = filter
            self.qos = qos
        }
    }

    public var packetID: UInt16
    public var subscriptions: [Subscription]

    public init(packetID: UInt16, subscriptions: [Subscription]) {
        self.packetID = packetID
        self.subscriptions = subscriptions
    }
}

/// One verdict of a SUBACK: the granted QoS, or failure (0x80).
public enum SubAckReturnCode: Sendable, Hashable {
    case granted(QoS)
    case failure

    public var rawValue: UInt8 {
        switch self {
        case .granted(let qos): qos.rawValue
        case .failure: 0x80
        }
    }

    public init?(rawValue: UInt8) {
        if rawValue == 0x80 {
            self = .failure
        } else if let qos = QoS(rawValue: rawValue) {
            self = .granted(qos)
        } else {
            return nil
        }
    }
}

/// SUBACK: one return code per filter of the SUBSCRIBE, in order.
public struct SubAckPacket: Sendable, Hashable {
    public var packetID: UInt16
    public var returnCodes: [SubAckReturnCode]

    public init(packetID: UInt16, returnCodes: [SubAckReturnCode]) {
        self.packetID = packetID
        self.returnCodes = returnCodes
    }
}

/// UNSUBSCRIBE: one or more topic filters to remove.
public struct UnsubscribePacket: Sendable, Hashable {
    public var packetID: UInt16
    public var filters: [String]

    public init(packetID: UInt16, filters: [String]) {
        self.packetID = packetID
        self.filters = filters
    }
}
