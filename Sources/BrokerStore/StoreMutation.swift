/// One change to the store. A `commit` applies a list of them atomically (one RocksDB write batch).
public enum StoreMutation: Sendable, Hashable {
    /// Creates or replaces a session record (subscriptions, expiry).
    case putSession(StoredSession)
    /// Removes the session and everything stored for it (messages, inbound QoS 2 ids).
    case deleteSession(SessionKey)
    /// Creates or replaces (same sequence: new stage or packet id) an outgoing message.
    case putMessage(SessionKey, StoredMessage)
    /// Removes a delivered (or dropped) outgoing message.
    case deleteMessage(SessionKey, sequence: UInt64)
    /// Records an inbound QoS 2 packet id that got PUBREC and waits for PUBREL.
    case putInboundQoS2(SessionKey, packetID: UInt16)
    case deleteInboundQoS2(SessionKey, packetID: UInt16)
    case putRetained(RetainedMessage)
    case deleteRetained(topic: String)
}
