import NIOCore

/// Versioned value encoding: the first byte is the format version of the value, so that a later
/// broker can read old values (and an old broker refuses new ones instead of misreading them).
enum ValueCodec {
    static let version: UInt8 = 1

    private enum MessageFlag {
        static let retain: UInt8 = 1 << 0
        static let packetID: UInt8 = 1 << 1
        static let sharedGroup: UInt8 = 1 << 2
    }

    static func encode(_ session: StoredSession) -> [UInt8] {
        var writer = BinaryWriter(capacity: 16 + session.subscriptions.count * 32)
        writer.write(version)
        writer.write(session.expiryIntervalSeconds)
        if let at = session.disconnectedAtMillis {
            writer.write(UInt8(1))
            writer.write(at)
        } else {
            writer.write(UInt8(0))
        }
        writer.write(UInt32(session.subscriptions.count))
        for subscription in session.subscriptions {
            writer.writeString(subscription.filter)
            writer.write(subscription.qos.rawValue)
            if let group = subscription.sharedGroup {
                writer.write(UInt8(1))
                writer.writeString(group)
            } else {
                writer.write(UInt8(0))
            }
        }
        return writer.bytes
    }

    static func decodeSession(_ key: SessionKey, _ raw: UnsafeRawBufferPointer) throws -> StoredSession {
        var reader = BinaryReader(raw)
        try checkVersion(&reader)
        let expiry = try reader.read(UInt32.self)
        let disconnectedAt = try reader.readByte() == 0 ? nil : try reader.read(Int64.self)
        let count = Int(try reader.read(UInt32.self))
        // Each subscription takes at least 6 bytes: a corrupt count must not allocate wildly.
        guard count <= reader.remaining / 6 else { throw DecodeError(description: "subscription count \(count) too large") }
        var subscriptions: [StoredSubscription] = []
        subscriptions.reserveCapacity(count)
        for _ in 0..<count {
            let filter = try reader.readString()
            let qos = try decodeQoS(try reader.readByte())
            let group = try reader.readByte() == 0 ? nil : try reader.readString()
            subscriptions.append(StoredSubscription(filter: filter, qos: qos, sharedGroup: group))
        }
        try reader.expectEnd("session")
        return StoredSession(key: key, subscriptions: subscriptions, expiryIntervalSeconds: expiry, disconnectedAtMillis: disconnectedAt)
    }

    static func encode(_ message: StoredMessage) -> [UInt8] {
        var writer = BinaryWriter(capacity: 24 + message.topic.utf8.count + message.payload.readableBytes)
        writer.write(version)
        writer.write(message.qos.rawValue)
        var flags: UInt8 = message.retain ? MessageFlag.retain : 0
        if message.packetID != nil { flags |= MessageFlag.packetID }
        if message.sharedGroup != nil { flags |= MessageFlag.sharedGroup }
        writer.write(flags)
        writer.write(message.stage.rawValue)
        if let id = message.packetID { writer.write(id) }
        if let shared = message.sharedGroup {
            writer.writeString(shared.group)
            writer.writeString(shared.filter)
        }
        writer.writeString(message.topic)
        message.payload.withUnsafeReadableBytes { writer.writeBytes($0) }
        return writer.bytes
    }

    static func decodeMessage(sequence: UInt64, _ raw: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) throws -> StoredMessage {
        var reader = BinaryReader(raw)
        try checkVersion(&reader)
        let qos = try decodeQoS(try reader.readByte())
        let flags = try reader.readByte()
        guard let stage = DeliveryStage(rawValue: try reader.readByte()) else { throw DecodeError(description: "bad delivery stage") }
        let packetID = flags & MessageFlag.packetID != 0 ? try reader.read(UInt16.self) : nil
        var shared: StoredSharedGroup?
        if flags & MessageFlag.sharedGroup != 0 {
            shared = StoredSharedGroup(group: try reader.readString(), filter: try reader.readString())
        }
        let topic = try reader.readString()
        let payload = try reader.readSlice()
        try reader.expectEnd("message")
        var buffer = allocator.buffer(capacity: payload.count)
        buffer.writeBytes(payload)
        return StoredMessage(
            sequence: sequence, topic: topic, payload: buffer, qos: qos, retain: flags & MessageFlag.retain != 0,
            packetID: packetID, stage: stage, sharedGroup: shared)
    }

    static func encodeInboundQoS2() -> [UInt8] { [version] }

    static func decodeInboundQoS2(_ raw: UnsafeRawBufferPointer) throws {
        var reader = BinaryReader(raw)
        try checkVersion(&reader)
        try reader.expectEnd("inbound QoS 2 id")
    }

    static func encode(_ retained: RetainedMessage) -> [UInt8] {
        var writer = BinaryWriter(capacity: 8 + retained.payload.readableBytes)
        writer.write(version)
        writer.write(retained.qos.rawValue)
        retained.payload.withUnsafeReadableBytes { writer.writeBytes($0) }
        return writer.bytes
    }

    static func decodeRetained(topic: String, _ raw: UnsafeRawBufferPointer, allocator: ByteBufferAllocator) throws -> RetainedMessage {
        var reader = BinaryReader(raw)
        try checkVersion(&reader)
        let qos = try decodeQoS(try reader.readByte())
        let payload = try reader.readSlice()
        try reader.expectEnd("retained message")
        var buffer = allocator.buffer(capacity: payload.count)
        buffer.writeBytes(payload)
        return RetainedMessage(topic: topic, payload: buffer, qos: qos)
    }

    private static func checkVersion(_ reader: inout BinaryReader) throws {
        let found = try reader.readByte()
        guard found == version else { throw DecodeError(description: "unknown value version \(found)") }
    }

    private static func decodeQoS(_ raw: UInt8) throws -> StoreQoS {
        guard let qos = StoreQoS(rawValue: raw) else { throw DecodeError(description: "bad QoS \(raw)") }
        return qos
    }
}
