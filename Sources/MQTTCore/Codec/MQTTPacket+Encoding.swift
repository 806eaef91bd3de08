import NIOCore

extension MQTTPacket {
    /// Appends the packet's wire form to `buffer`. The remaining length is computed up front, so
    /// the body is written once, in place.
    public func write(to buffer: inout ByteBuffer) throws(MQTTEncodingError) {
        switch self {
        case .connect(let connect): try connect.write(to: &buffer)
        case .connack(let connack):
            Self.writeFixedHeader(.connack, flags: 0, remainingLength: 2, to: &buffer)
            buffer.writeInteger(UInt8(connack.sessionPresent ? 1 : 0))
            buffer.writeInteger(connack.returnCode.rawValue)
        case .publish(let publish): try publish.write(to: &buffer)
        case .puback(let id): Self.writeAck(.puback, id, to: &buffer)
        case .pubrec(let id): Self.writeAck(.pubrec, id, to: &buffer)
        case .pubrel(let id): Self.writeAck(.pubrel, id, to: &buffer)
        case .pubcomp(let id): Self.writeAck(.pubcomp, id, to: &buffer)
        case .unsuback(let id): Self.writeAck(.unsuback, id, to: &buffer)
        case .subscribe(let subscribe):
            let length = subscribe.subscriptions.reduce(2) { $0 + 3 + $1.filter.utf8.count }
            try Self.checkRemainingLength(length)
            Self.writeFixedHeader(.subscribe, flags: 0b0010, remainingLength: length, to: &buffer)
            buffer.writeInteger(subscribe.packetID)
            for subscription in subscribe.subscriptions {
                try buffer.writeMQTTString(subscription.filter)
                buffer.writeInteger(subscription.qos.rawValue)
            }
        case .suback(let suback):
            let length = 2 + suback.returnCodes.count
            try Self.checkRemainingLength(length)
            Self.writeFixedHeader(.suback, flags: 0, remainingLength: length, to: &buffer)
            buffer.writeInteger(suback.packetID)
            for code in suback.returnCodes { buffer.writeInteger(code.rawValue) }
        case .unsubscribe(let unsubscribe):
            let length = unsubscribe.filters.reduce(2) { $0 + 2 + $1.utf8.count }
            try Self.checkRemainingLength(length)
            Self.writeFixedHeader(.unsubscribe, flags: 0b0010, remainingLength: length, to: &buffer)
            buffer.writeInteger(unsubscribe.packetID)
            for filter in unsubscribe.filters { try buffer.writeMQTTString(filter) }
        case .pingreq: Self.writeFixedHeader(.pingreq, flags: 0, remainingLength: 0, to: &buffer)
        case .pingresp: Self.writeFixedHeader(.pingresp, flags: 0, remainingLength: 0, to: &buffer)
        case .disconnect: Self.writeFixedHeader(.disconnect, flags: 0, remainingLength: 0, to: &buffer)
        }
    }

    static func writeFixedHeader(_ type: PacketType, flags: UInt8, remainingLength: Int, to buffer: inout ByteBuffer) {
        buffer.writeInteger(type.rawValue << 4 | flags)
        buffer.writeRemainingLength(remainingLength)
    }

    static func checkRemainingLength(_ length: Int) throws(MQTTEncodingError) {
        guard length <= ByteBuffer.maxRemainingLength else { throw .packetTooLarge(remainingLength: length) }
    }

    private static func writeAck(_ type: PacketType, _ id: UInt16, to buffer: inout ByteBuffer) {
        writeFixedHeader(type, flags: type.requiredFlags ?? 0, remainingLength: 2, to: &buffer)
        buffer.writeInteger(id)
    }
}

extension ConnectPacket {
    func write(to buffer: inout ByteBuffer) throws(MQTTEncodingError) {
        var length = 2 + self.protocolVersion.protocolName.utf8.count + 1 + 1 + 2 + 2 + self.clientID.utf8.count
        var flags: UInt8 = self.cleanSession ? 0x02 : 0
        if let will = self.will {
            length += 2 + will.topic.utf8.count + 2 + will.payload.readableBytes
            flags |= 0x04 | will.qos.rawValue << 3 | (will.retain ? 0x20 : 0)
        }
        if let username = self.username {
            length += 2 + username.utf8.count
            flags |= 0x80
        }
        if let password = self.password {
            length += 2 + password.readableBytes
            flags |= 0x40
        }
        try MQTTPacket.checkRemainingLength(length)
        MQTTPacket.writeFixedHeader(.connect, flags: 0, remainingLength: length, to: &buffer)
        try buffer.writeMQTTString(self.protocolVersion.protocolName)
        buffer.writeInteger(self.protocolVersion.rawValue)
        buffer.writeInteger(flags)
        buffer.writeInteger(self.keepAlive)
        try buffer.writeMQTTString(self.clientID)
        if let will = self.will {
            try buffer.writeMQTTString(will.topic)
            try buffer.writeMQTTBinary(will.payload)
        }
        if let username = self.username { try buffer.writeMQTTString(username) }
        if let password = self.password { try buffer.writeMQTTBinary(password) }
    }
}

extension PublishPacket {
    /// The bytes of a PUBLISH on the wire, fixed header included: what a peer's packet limit
    /// (e.g. the broker's `BROKER_MAX_PACKET_BYTES`) is compared with.
    public static func encodedSize(topicBytes: Int, payloadBytes: Int, qos: QoS) -> Int {
        let remaining = 2 + topicBytes + (qos == .atMostOnce ? 0 : 2) + payloadBytes
        return 1 + ByteBuffer.remainingLengthSize(remaining) + remaining
    }

    /// Writes everything but the payload: fan-out writes this small header per subscriber and
    /// shares one payload buffer among all of them.
    public func writeHeader(to buffer: inout ByteBuffer) throws(MQTTEncodingError) {
        let hasID = self.qos != .atMostOnce
        if hasID && (self.packetID ?? 0) == 0 { throw .missingPacketIdentifier }
        let topicLength = self.topic.utf8.count
        guard topicLength <= Int(UInt16.max) else { throw .fieldTooLong(bytes: topicLength) }
        let length = 2 + topicLength + (hasID ? 2 : 0) + self.payload.readableBytes
        try MQTTPacket.checkRemainingLength(length)
        let flags = (self.dup ? 0x08 : 0) | self.qos.rawValue << 1 | (self.retain ? 0x01 : 0)
        MQTTPacket.writeFixedHeader(.publish, flags: flags, remainingLength: length, to: &buffer)
        try buffer.writeMQTTString(self.topic)
        if hasID { buffer.writeInteger(self.packetID!) }
    }

    func write(to buffer: inout ByteBuffer) throws(MQTTEncodingError) {
        try self.writeHeader(to: &buffer)
        buffer.writeImmutableBuffer(self.payload)
    }
}
