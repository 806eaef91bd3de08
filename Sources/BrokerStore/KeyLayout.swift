/// Key layout: one prefix byte per kind, then the session key (length-prefixed owner and client
/// id), then a big-endian suffix. All of a session's records of one kind form one contiguous range.
///
///     S <session>                 -> session record
///     M <session> <u64 sequence>  -> outgoing message
///     I <session> <u16 packet id> -> inbound QoS 2 packet id awaiting PUBREL
///     R <topic bytes>             -> retained message
///     V "format"                  -> store format version
enum KeyKind: UInt8, CaseIterable {
    case inboundQoS2 = 0x49  // "I"
    case message = 0x4D  // "M"
    case retained = 0x52  // "R"
    case session = 0x53  // "S"
    case meta = 0x56  // "V"
}

enum KeyLayout {
    static let formatKey: [UInt8] = [KeyKind.meta.rawValue] + Array("format".utf8)

    static func sessionPrefix(_ kind: KeyKind, _ session: SessionKey) -> [UInt8] {
        var writer = BinaryWriter(capacity: 9 + session.owner.utf8.count + session.clientID.utf8.count + 8)
        writer.write(kind.rawValue)
        writer.writeString(session.owner)
        writer.writeString(session.clientID)
        return writer.bytes
    }

    static func session(_ session: SessionKey) -> [UInt8] { sessionPrefix(.session, session) }

    static func message(_ session: SessionKey, sequence: UInt64) -> [UInt8] {
        var writer = BinaryWriter()
        writer.bytes = sessionPrefix(.message, session)
        writer.write(sequence)
        return writer.bytes
    }

    static func inboundQoS2(_ session: SessionKey, packetID: UInt16) -> [UInt8] {
        var writer = BinaryWriter()
        writer.bytes = sessionPrefix(.inboundQoS2, session)
        writer.write(packetID)
        return writer.bytes
    }

    static func retained(topic: String) -> [UInt8] { [KeyKind.retained.rawValue] + Array(topic.utf8) }

    static func kindPrefix(_ kind: KeyKind) -> [UInt8] { [kind.rawValue] }

    /// The smallest key greater than every key starting with `prefix` (exclusive range end).
    static func successor(of prefix: [UInt8]) -> [UInt8] {
        var bytes = prefix
        while let last = bytes.last, last == 0xFF { bytes.removeLast() }
        precondition(!bytes.isEmpty, "every prefix starts with a kind byte below 0xFF")
        bytes[bytes.count - 1] += 1
        return bytes
    }

    /// Splits `<kind> <session> <suffix>`; returns the session part's bytes for caching too.
    static func decodeSessionKey(_ reader: inout BinaryReader) throws -> SessionKey {
        let owner = try reader.readString()
        let clientID = try reader.readString()
        return SessionKey(owner: owner, clientID: clientID)
    }
}
