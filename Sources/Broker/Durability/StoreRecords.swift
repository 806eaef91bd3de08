import BrokerStore
import MQTTCore

/// Conversions between the broker's session state and the store's records.
extension QoS {
    init(_ stored: StoreQoS) {
        switch stored {
        case .atMostOnce: self = .atMostOnce
        case .atLeastOnce: self = .atLeastOnce
        case .exactlyOnce: self = .exactlyOnce
        }
    }

    var stored: StoreQoS { StoreQoS(rawValue: self.rawValue)! }
}

extension Session {
    /// The session's record: its subscriptions (shared ones split into group and filter) and expiry.
    func storedRecord(expirySeconds: Int64?, disconnectedAtMillis: Int64?) -> StoredSession {
        let subscriptions = self.subscriptions.map { filter, qos in
            if let shared = try? SharedFilter.parse(filter) {
                return StoredSubscription(filter: shared.filter, qos: qos.stored, sharedGroup: shared.group)
            }
            return StoredSubscription(filter: filter, qos: qos.stored)
        }
        let expiry = expirySeconds.map { UInt32(clamping: $0) } ?? .max
        return StoredSession(key: self.key, subscriptions: subscriptions, expiryIntervalSeconds: expiry, disconnectedAtMillis: disconnectedAtMillis)
    }
}

extension StoredSubscription {
    /// The filter as the client sent it (`$share/<group>/<filter>` for a shared one).
    var clientFilter: String {
        self.sharedGroup.map { "$share/\($0)/\(self.filter)" } ?? self.filter
    }
}

extension OutboundMessage {
    func stored(sequence: UInt64, packetID: UInt16? = nil, stage: DeliveryStage = .queued) -> StoredMessage {
        StoredMessage(
            sequence: sequence, topic: self.message.topic, payload: self.message.payload, qos: self.qos.stored,
            retain: self.retain, packetID: packetID, stage: stage,
            sharedGroup: self.sharedGroup.map { StoredSharedGroup(group: $0.group, filter: $0.filter) }
        )
    }

    init(_ stored: StoredMessage) {
        let qos = QoS(stored.qos)
        self.init(
            message: BrokerMessage(topic: stored.topic, payload: stored.payload, qos: qos, retain: stored.retain),
            qos: qos, retain: stored.retain,
            sharedGroup: stored.sharedGroup.map { SharedGroupKey(group: $0.group, filter: $0.filter) }
        )
        self.storeSequence = stored.sequence
    }
}

extension RetainedMessage {
    init(_ message: BrokerMessage) {
        self.init(topic: message.topic, payload: message.payload, qos: message.qos.stored)
    }
}

extension BrokerMessage {
    convenience init(_ retained: RetainedMessage) {
        self.init(topic: retained.topic, payload: retained.payload, qos: QoS(retained.qos), retain: true)
    }
}
