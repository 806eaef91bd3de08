import NIOCore

/// The quality of service of a stored message or subscription. The store keeps its own type so
/// that it does not depend on the MQTT codec; raw values are the MQTT ones.
public enum StoreQoS: UInt8, Sendable, Hashable {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2
}

/// A persistent session is identified by who owns it and by its client id: two identities may use
/// the same client id without sharing a session.
public struct SessionKey: Sendable, Hashable, CustomStringConvertible {
    public var owner: String
    public var clientID: String

    public init(owner: String, clientID: String) {
        self.owner = owner
        self.clientID = clientID
    }

    public var description: String { "\(owner)/\(clientID)" }
}

public struct StoredSubscription: Sendable, Hashable {
    public var filter: String
    public var qos: StoreQoS
    /// The group of a `$share/<group>/<filter>` subscription; `filter` is then the filter proper.
    public var sharedGroup: String?

    public init(filter: String, qos: StoreQoS, sharedGroup: String? = nil) {
        self.filter = filter
        self.qos = qos
        self.sharedGroup = sharedGroup
    }
}

public struct StoredSession: Sendable, Hashable {
    public var key: SessionKey
    public var subscriptions: [StoredSubscription]
    /// How long the session outlives its connection; `UInt32.max` = never expires.
    public var expiryIntervalSeconds: UInt32
    /// When its last connection went away (milliseconds since 1970); nil while connected.
    public var disconnectedAtMillis: Int64?

    public init(key: SessionKey, subscriptions: [StoredSubscription], expiryIntervalSeconds: UInt32 = .max, disconnectedAtMillis: Int64? = nil) {
        self.key = key
        self.subscriptions = subscriptions
        self.expiryIntervalSeconds = expiryIntervalSeconds
        self.disconnectedAtMillis = disconnectedAtMillis
    }
}

/// Where an outgoing QoS 1/2 message is in its delivery.
public enum DeliveryStage: UInt8, Sendable, Hashable {
    /// Waiting in the session's queue, not sent yet.
    case queued = 0
    /// PUBLISH sent, waiting for PUBACK (QoS 1) or PUBREC (QoS 2).
    case sent = 1
    /// QoS 2: PUBREL sent, waiting for PUBCOMP.
    case pubrelSent = 2
}

/// The shared subscription an outgoing message came through, so that it can go to another member.
public struct StoredSharedGroup: Sendable, Hashable {
    public var group: String
    public var filter: String

    public init(group: String, filter: String) {
        self.group = group
        self.filter = filter
    }
}

/// An outgoing message of a session, ordered by `sequence` (chosen by the broker, increasing per
/// session; recovery returns a session's messages in that order).
public struct StoredMessage: Sendable, Hashable {
    public var sequence: UInt64
    public var topic: String
    public var payload: ByteBuffer
    public var qos: StoreQoS
    public var retain: Bool
    public var packetID: UInt16?
    public var stage: DeliveryStage
    public var sharedGroup: StoredSharedGroup?

    public init(
        sequence: UInt64, topic: String, payload: ByteBuffer, qos: StoreQoS, retain: Bool = false,
        packetID: UInt16? = nil, stage: DeliveryStage = .queued, sharedGroup: StoredSharedGroup? = nil
    ) {
        self.sequence = sequence
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.packetID = packetID
        self.stage = stage
        self.sharedGroup = sharedGroup
    }
}

public struct RetainedMessage: Sendable, Hashable {
    public var topic: String
    public var payload: ByteBuffer
    public var qos: StoreQoS

    public init(topic: String, payload: ByteBuffer, qos: StoreQoS) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
    }
}
