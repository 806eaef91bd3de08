import NIOCore

/// Parses whole packets out of a buffer: the fixed header first (so that limits and bad types
/// are refused before the body arrives), then a zero-copy slice of the body.
public struct MQTTPacketParser: Sendable {
    public var limits: MQTTDecoderLimits
    /// Learnt from CONNECT on a server, given up front on a client. MQTT 3.1 peers get the
    /// leniencies that level allowed (DUP on PUBREL/SUBSCRIBE/UNSUBSCRIBE retries).
    public var protocolVersion: ProtocolVersion?

    public init(limits: MQTTDecoderLimits = .init(), protocolVersion: ProtocolVersion? = nil) {
        self.limits = limits
        self.protocolVersion = protocolVersion
    }

    /// Takes one packet off the front of `buffer`, moving its reader index past it; or returns
    /// nil, leaving `buffer` as it was, when the packet is not all there yet.
    public mutating func parse(_ buffer: inout ByteBuffer) throws(MQTTDecodingError) -> MQTTPacket? {
        let start = buffer.readerIndex
        guard let first = buffer.getInteger(at: start, as: UInt8.self) else { return nil }
        let type = try self.packetType(of: first)
        let flags = first & 0x0F
        try self.checkFlags(flags, of: type)
        guard let (remaining, lengthBytes) = try buffer.peekRemainingLength(at: start + 1) else { return nil }
        let total = 1 + lengthBytes + remaining
        guard total <= self.limits.maxPacketSize else {
            throw .packetTooLarge(size: total, limit: self.limits.maxPacketSize)
        }
        guard var body = buffer.getSlice(at: start + 1 + lengthBytes, length: remaining) else { return nil }
        let packet = try self.parseBody(&body, type: type, flags: flags)
        guard body.readableBytes == 0 else { throw .trailingBytes(type, count: body.readableBytes) }
        buffer.moveReaderIndex(forwardBy: total)
        if case .connect(let connect) = packet { self.protocolVersion = connect.protocolVersion }
        return packet
    }

    private func packetType(of first: UInt8) throws(MQTTDecodingError) -> PacketType {
        guard let type = PacketType(rawValue: first >> 4) else { throw .reservedPacketType(first >> 4) }
        return type
    }

    private func checkFlags(_ flags: UInt8, of type: PacketType) throws(MQTTDecodingError) {
        guard let required = type.requiredFlags else {
            if (flags >> 1) & 0x03 == 3 { throw .invalidQoS(3) }
            return
        }
        // MQTT 3.1 let clients set DUP on retried PUBREL, SUBSCRIBE and UNSUBSCRIBE.
        let lenient = self.protocolVersion == .v3_1 && required == 0b0010
        let checked = lenient ? flags & 0b0111 : flags
        guard checked == required else { throw .invalidFlags(type, flags: flags) }
    }

    private func parseBody(_ body: inout ByteBuffer, type: PacketType, flags: UInt8) throws(MQTTDecodingError) -> MQTTPacket {
        switch type {
        case .connect: return .connect(try Self.parseConnect(&body))
        case .connack: return .connack(try Self.parseConnAck(&body))
        case .publish: return .publish(try self.parsePublish(&body, flags: flags))
        case .puback: return .puback(packetID: try body.readMQTTPacketID(type))
        case .pubrec: return .pubrec(packetID: try body.readMQTTPacketID(type))
        case .pubrel: return .pubrel(packetID: try body.readMQTTPacketID(type))
        case .pubcomp: return .pubcomp(packetID: try body.readMQTTPacketID(type))
        case .subscribe: return .subscribe(try Self.parseSubscribe(&body))
        case .suback: return .suback(try Self.parseSubAck(&body))
        case .unsubscribe: return .unsubscribe(try Self.parseUnsubscribe(&body))
        case .unsuback: return .unsuback(packetID: try body.readMQTTPacketID(type))
        case .pingreq: return .pingreq
        case .pingresp: return .pingresp
        case .disconnect: return .disconnect
        }
    }

    private static func parseConnect(_ body: inout ByteBuffer) throws(MQTTDecodingError) -> ConnectPacket {
        let name = try body.readMQTTString(.connect)
        let level = try body.readMQTTByte(.connect)
        let version: ProtocolVersion
        switch (name, level) {
        case ("MQTT", 4): version = .v3_1_1
        case ("MQIsdp", 3): version = .v3_1
        case ("MQTT", _), ("MQIsdp", _): throw .unsupportedProtocolLevel(level)
        default: throw .invalidProtocolName(name)
        }
        let flags = try body.readMQTTByte(.connect)
        let hasUsername = flags & 0x80 != 0
        let hasPassword = flags & 0x40 != 0
        let willRetain = flags & 0x20 != 0
        let willQoSBits = (flags >> 3) & 0x03
        let hasWill = flags & 0x04 != 0
        let cleanSession = flags & 0x02 != 0
        guard flags & 0x01 == 0, willQoSBits != 3 else { throw .invalidConnectFlags(flags) }
        guard hasWill || (willQoSBits == 0 && !willRetain) else { throw .invalidConnectFlags(flags) }
        // MQTT-3.1.2-22; MQTT 3.1 did not forbid a password without a user name.
        guard hasUsername || !hasPassword || version == .v3_1 else { throw .invalidConnectFlags(flags) }

        let keepAlive = try body.readMQTTUInt16(.connect)
        let clientID = try body.readMQTTString(.connect)
        var will: ConnectPacket.Will?
        if hasWill {
            let topic = try body.readMQTTString(.connect)
            do { try Topic.validateName(topic) } catch { throw .invalidTopicName(topic, error) }
            let payload = try body.readMQTTBinary(.connect)
            will = .init(topic: topic, payload: payload, qos: QoS(rawValue: willQoSBits)!, retain: willRetain)
        }
        let username = hasUsername ? try body.readMQTTString(.connect) : nil
        let password = hasPassword ? try body.readMQTTBinary(.connect) : nil
        return ConnectPacket(
            protocolVersion: version, clientID: clientID, cleanSession: cleanSession,
            keepAlive: keepAlive, will: will, username: username, password: password
        )
    }

    private static func parseConnAck(_ body: inout ByteBuffer) throws(MQTTDecodingError) -> ConnAckPacket {
        let flags = try body.readMQTTByte(.connack)
        guard flags & 0xFE == 0 else { throw .invalidConnAckFlags(flags) }
        let code = try body.readMQTTByte(.connack)
        guard let returnCode = ConnectReturnCode(rawValue: code) else { throw .invalidConnAckReturnCode(code) }
        return ConnAckPacket(sessionPresent: flags & 0x01 != 0, returnCode: returnCode)
    }

    private func parsePublish(_ body: inout ByteBuffer, flags: UInt8) throws(MQTTDecodingError) -> PublishPacket {
        let qos = QoS(rawValue: (flags >> 1) & 0x03)!  // 3 was refused with the fixed header
        let dup = flags & 0x08 != 0
        if dup && qos == .atMostOnce && self.protocolVersion != .v3_1 { throw .duplicateFlagOnQoS0 }
        let topic = try body.readMQTTString(.publish)
        do { try Topic.validateName(topic) } catch { throw .invalidTopicName(topic, error) }
        let packetID = qos == .atMostOnce ? nil : try body.readMQTTPacketID(.publish)
        let payload = body.readSlice(length: body.readableBytes)!
        return PublishPacket(topic: topic, payload: payload, qos: qos, retain: flags & 0x01 != 0, dup: dup, packetID: packetID)
    }

    private static func parseSubscribe(_ body: inout ByteBuffer) throws(MQTTDecodingError) -> SubscribePacket {
        let packetID = try body.readMQTTPacketID(.subscribe)
        var subscriptions: [SubscribePacket.Subscription] = []
        while body.readableBytes > 0 {
            let filter = try body.readMQTTString(.subscribe)
            do { try Topic.validateFilter(filter) } catch { throw .invalidTopicFilter(filter, error) }
            let options = try body.readMQTTByte(.subscribe)
            guard options & 0xFC == 0, let qos = QoS(rawValue: options) else {
                throw .invalidSubscriptionOptions(options)
            }
            subscriptions.append(.init(filter: filter, qos: qos))
        }
        guard !subscriptions.isEmpty else { throw .emptyPayload(.subscribe) }
        return SubscribePacket(packetID: packetID, subscriptions: subscriptions)
    }

    private static func parseSubAck(_ body: inout ByteBuffer) throws(MQTTDecodingError) -> SubAckPacket {
        let packetID = try body.readMQTTPacketID(.suback)
        var codes: [SubAckReturnCode] = []
        codes.reserveCapacity(body.readableBytes)
        while let raw = body.readInteger(as: UInt8.self) {
            guard let code = SubAckReturnCode(rawValue: raw) else { throw .invalidSubAckReturnCode(raw) }
            codes.append(code)
        }
        guard !codes.isEmpty else { throw .emptyPayload(.suback) }
        return SubAckPacket(packetID: packetID, returnCodes: codes)
    }

    private static func parseUnsubscribe(_ body: inout ByteBuffer) throws(MQTTDecodingError) -> UnsubscribePacket {
        let packetID = try body.readMQTTPacketID(.unsubscribe)
        var filters: [String] = []
        while body.readableBytes > 0 {
            let filter = try body.readMQTTString(.unsubscribe)
            do { try Topic.validateFilter(filter) } catch { throw .invalidTopicFilter(filter, error) }
            filters.append(filter)
        }
        guard !filters.isEmpty else { throw .emptyPayload(.unsubscribe) }
        return UnsubscribePacket(packetID: packetID, filters: filters)
    }
}
