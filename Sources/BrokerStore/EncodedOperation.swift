/// A mutation turned into RocksDB operations. Encoding happens on the caller's thread, so the
/// single committer thread only copies bytes into the write batch.
enum EncodedOperation: Sendable {
    case put(key: [UInt8], value: [UInt8])
    case delete(key: [UInt8])
    /// Deletes [from, to): one range tombstone, however many keys it covers.
    case deleteRange(from: [UInt8], to: [UInt8])

    /// How much this operation counts towards the next compaction. A range delete (a deleted
    /// session) covers an unknown number of keys: it counts as a typical session's queue.
    var deletionWeight: Int {
        switch self {
        case .put: 0
        case .delete: 1
        case .deleteRange: 100
        }
    }

    static func encode(_ mutations: [StoreMutation]) -> [EncodedOperation] {
        var operations: [EncodedOperation] = []
        operations.reserveCapacity(mutations.count)
        for mutation in mutations {
            switch mutation {
            case .putSession(let session):
                operations.append(.put(key: KeyLayout.session(session.key), value: ValueCodec.encode(session)))
            case .deleteSession(let key):
                operations.append(.delete(key: KeyLayout.session(key)))
                for kind in [KeyKind.message, .inboundQoS2] {
                    let prefix = KeyLayout.sessionPrefix(kind, key)
                    operations.append(.deleteRange(from: prefix, to: KeyLayout.successor(of: prefix)))
                }
            case .putMessage(let key, let message):
                operations.append(.put(key: KeyLayout.message(key, sequence: message.sequence), value: ValueCodec.encode(message)))
            case .deleteMessage(let key, let sequence):
                operations.append(.delete(key: KeyLayout.message(key, sequence: sequence)))
            case .putInboundQoS2(let key, let packetID):
                operations.append(.put(key: KeyLayout.inboundQoS2(key, packetID: packetID), value: ValueCodec.encodeInboundQoS2()))
            case .deleteInboundQoS2(let key, let packetID):
                operations.append(.delete(key: KeyLayout.inboundQoS2(key, packetID: packetID)))
            case .putRetained(let retained):
                operations.append(.put(key: KeyLayout.retained(topic: retained.topic), value: ValueCodec.encode(retained)))
            case .deleteRetained(let topic):
                operations.append(.delete(key: KeyLayout.retained(topic: topic)))
            }
        }
        return operations
    }
}
