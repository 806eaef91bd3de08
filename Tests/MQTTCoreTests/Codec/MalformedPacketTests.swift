import MQTTCore
import NIOCore
import Testing

/// Malformed inputs, each with the typed error it must produce.
@Suite struct MalformedPacketTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let error: MQTTDecodingError
        var limit = 268_435_460
        var version: ProtocolVersion?
        var testDescription: String { name }
    }

    /// A CONNECT body: protocol name, level, flags, keepalive 60, then `rest`.
    static func connect(name: String = "MQTT", level: UInt8 = 4, flags: UInt8 = 0x02, rest: [UInt8] = [0, 1, 0x61]) -> [UInt8] {
        let body: [UInt8] = [0, UInt8(name.utf8.count)] + Array(name.utf8) + [level, flags, 0, 60] + rest
        return [0x10, UInt8(body.count)] + body
    }

    static let cases: [Case] = [
        Case(name: "five-byte remaining length", bytes: [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], error: .malformedRemainingLength),
        Case(name: "packet over the limit, refused from the header", bytes: [0x30, 0xE8, 0x07], error: .packetTooLarge(size: 1003, limit: 1000), limit: 1000),
        Case(name: "packet type 0", bytes: [0x00, 0x00], error: .reservedPacketType(0)),
        Case(name: "packet type 15", bytes: [0xF0, 0x00], error: .reservedPacketType(15)),
        Case(name: "PUBREL with flags 0", bytes: [0x60, 0x02, 0x00, 0x01], error: .invalidFlags(.pubrel, flags: 0)),
        Case(name: "SUBSCRIBE with flags 0", bytes: [0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00], error: .invalidFlags(.subscribe, flags: 0)),
        Case(name: "PUBACK with a flag set", bytes: [0x41, 0x02, 0x00, 0x01], error: .invalidFlags(.puback, flags: 1)),
        Case(name: "PINGREQ with a flag set", bytes: [0xC4, 0x00], error: .invalidFlags(.pingreq, flags: 4)),
        Case(
            name: "SUBSCRIBE with DUP from a 3.1.1 client", bytes: [0x8A, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00], error: .invalidFlags(.subscribe, flags: 0x0A), version: .v3_1_1
        ),
        Case(name: "PUBLISH QoS 3", bytes: [0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01], error: .invalidQoS(3)),
        Case(name: "PUBLISH DUP at QoS 0", bytes: [0x38, 0x03, 0x00, 0x01, 0x61], error: .duplicateFlagOnQoS0),
        Case(name: "PUBLISH packet id 0", bytes: [0x32, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00], error: .zeroPacketIdentifier(.publish)),
        Case(name: "PUBACK packet id 0", bytes: [0x40, 0x02, 0x00, 0x00], error: .zeroPacketIdentifier(.puback)),
        Case(name: "PUBLISH topic with +", bytes: [0x30, 0x05, 0x00, 0x03, 0x61, 0x2F, 0x2B], error: .invalidTopicName("a/+", .wildcardInTopicName)),
        Case(name: "PUBLISH empty topic", bytes: [0x30, 0x02, 0x00, 0x00], error: .invalidTopicName("", .empty)),
        Case(name: "PUBLISH topic with U+0000", bytes: [0x30, 0x05, 0x00, 0x03, 0x61, 0x00, 0x62], error: .nullCharacter(.publish)),
        Case(name: "PUBLISH topic not UTF-8", bytes: [0x30, 0x04, 0x00, 0x02, 0xC3, 0x28], error: .invalidUTF8(.publish)),
        Case(name: "PUBLISH topic with UTF-16 surrogate", bytes: [0x30, 0x05, 0x00, 0x03, 0xED, 0xA0, 0x80], error: .invalidUTF8(.publish)),
        Case(name: "PUBLISH topic longer than the body", bytes: [0x30, 0x03, 0x00, 0x05, 0x61], error: .truncated(.publish)),
        Case(name: "PUBACK with three bytes", bytes: [0x40, 0x03, 0x00, 0x01, 0x00], error: .trailingBytes(.puback, count: 1)),
        Case(name: "PUBACK with one byte", bytes: [0x40, 0x01, 0x00], error: .truncated(.puback)),
        Case(name: "PINGREQ with a body", bytes: [0xC0, 0x01, 0x00], error: .trailingBytes(.pingreq, count: 1)),
        Case(name: "DISCONNECT with a body", bytes: [0xE0, 0x01, 0x00], error: .trailingBytes(.disconnect, count: 1)),
        Case(name: "SUBSCRIBE without filters", bytes: [0x82, 0x02, 0x00, 0x01], error: .emptyPayload(.subscribe)),
        Case(name: "SUBSCRIBE with QoS 3", bytes: [0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x03], error: .invalidSubscriptionOptions(3)),
        Case(name: "SUBSCRIBE with reserved option bits", bytes: [0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x04], error: .invalidSubscriptionOptions(4)),
        Case(name: "SUBSCRIBE filter a+/b", bytes: [0x82, 0x09, 0x00, 0x01, 0x00, 0x04] + Array("a+/b".utf8) + [0x00], error: .invalidTopicFilter("a+/b", .misplacedWildcard)),
        Case(name: "SUBSCRIBE filter a/#/b", bytes: [0x82, 0x0A, 0x00, 0x01, 0x00, 0x05] + Array("a/#/b".utf8) + [0x00], error: .invalidTopicFilter("a/#/b", .misplacedWildcard)),
        Case(name: "SUBSCRIBE filter missing its QoS byte", bytes: [0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 0x61], error: .truncated(.subscribe)),
        Case(name: "UNSUBSCRIBE without filters", bytes: [0xA2, 0x02, 0x00, 0x01], error: .emptyPayload(.unsubscribe)),
        Case(name: "UNSUBSCRIBE empty filter", bytes: [0xA2, 0x04, 0x00, 0x01, 0x00, 0x00], error: .invalidTopicFilter("", .empty)),
        Case(name: "SUBACK return code 3", bytes: [0x90, 0x03, 0x00, 0x01, 0x03], error: .invalidSubAckReturnCode(3)),
        Case(name: "CONNACK return code 6", bytes: [0x20, 0x02, 0x00, 0x06], error: .invalidConnAckReturnCode(6)),
        Case(name: "CONNACK reserved flags", bytes: [0x20, 0x02, 0x02, 0x00], error: .invalidConnAckFlags(2)),
        Case(name: "CONNECT protocol name HTTP", bytes: connect(name: "HTTP"), error: .invalidProtocolName("HTTP")),
        Case(name: "CONNECT MQTT level 5", bytes: connect(level: 5), error: .unsupportedProtocolLevel(5)),
        Case(name: "CONNECT MQIsdp level 4", bytes: connect(name: "MQIsdp", level: 4), error: .unsupportedProtocolLevel(4)),
        Case(name: "CONNECT reserved flag", bytes: connect(flags: 0x03), error: .invalidConnectFlags(0x03)),
        Case(name: "CONNECT will QoS without will", bytes: connect(flags: 0x0A), error: .invalidConnectFlags(0x0A)),
        Case(name: "CONNECT will retain without will", bytes: connect(flags: 0x22), error: .invalidConnectFlags(0x22)),
        Case(name: "CONNECT will QoS 3", bytes: connect(flags: 0x1E), error: .invalidConnectFlags(0x1E)),
        Case(name: "CONNECT password without user name", bytes: connect(flags: 0x42), error: .invalidConnectFlags(0x42)),
        Case(name: "CONNECT will topic with #", bytes: connect(flags: 0x06, rest: [0, 1, 0x61, 0, 1, 0x23, 0, 0]), error: .invalidTopicName("#", .wildcardInTopicName)),
        Case(name: "CONNECT missing client id", bytes: connect(rest: []), error: .truncated(.connect)),
        Case(name: "CONNECT user name flag without user name", bytes: connect(flags: 0x82), error: .truncated(.connect)),
    ]

    @Test(arguments: cases)
    func malformedInputGivesItsTypedError(_ testCase: Case) {
        var buffer = ByteBuffer(bytes: testCase.bytes)
        var parser = MQTTPacketParser(limits: .init(maxPacketSize: testCase.limit), protocolVersion: testCase.version)
        #expect(throws: testCase.error) { try parser.parse(&buffer) }
    }

    @Test func mqtt31ClientMayRetrySubscribeWithDUP() throws {
        var buffer = ByteBuffer(bytes: [0x8A, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00])
        var parser = MQTTPacketParser(protocolVersion: .v3_1)
        let packet = try parser.parse(&buffer)
        #expect(packet == .subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: "a", qos: .atMostOnce)])))
    }

    @Test func decoderLearnsTheProtocolLevelFromConnect() throws {
        var buffer = ByteBuffer(bytes: Self.connect(name: "MQIsdp", level: 3))
        var parser = MQTTPacketParser()
        _ = try parser.parse(&buffer)
        #expect(parser.protocolVersion == .v3_1)
    }
}
