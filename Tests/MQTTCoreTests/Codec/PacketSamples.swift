import MQTTCore
import NIOCore

/// One packet of every type and protocol level, with every optional field both ways.
enum PacketSamples {
    static func buffer(_ string: String) -> ByteBuffer { ByteBuffer(string: string) }

    static let all: [MQTTPacket] = [
        .connect(ConnectPacket(clientID: "dev-1")),
        .connect(ConnectPacket(protocolVersion: .v3_1, clientID: "legacy", cleanSession: false, keepAlive: 0)),
        .connect(
            ConnectPacket(
                protocolVersion: .v3_1_1, clientID: "", cleanSession: true, keepAlive: 30,
                will: .init(topic: "admin:1/attrs", payload: buffer("{\"gone\":true}"), qos: .exactlyOnce, retain: true),
                username: "admin:1", password: buffer("secret")
            )),
        .connect(ConnectPacket(protocolVersion: .v3_1, clientID: "x", will: .init(topic: "w", payload: buffer(""), qos: .atLeastOnce))),
        .connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)),
        .connack(ConnAckPacket(sessionPresent: false, returnCode: .notAuthorized)),
        .publish(PublishPacket(topic: "a/b", payload: buffer("hello"))),
        .publish(PublishPacket(topic: "admin:1/attrs", payload: buffer("{\"t\":1}"), qos: .atLeastOnce, retain: true, dup: true, packetID: 7)),
        .publish(PublishPacket(topic: "ünï/cødé", payload: buffer(""), qos: .exactlyOnce, packetID: 65535)),
        .publish(PublishPacket(topic: "big", payload: ByteBuffer(repeating: 0xAB, count: 20_000), qos: .atLeastOnce, packetID: 1)),
        .puback(packetID: 1),
        .pubrec(packetID: 2),
        .pubrel(packetID: 3),
        .pubcomp(packetID: 4),
        .subscribe(
            SubscribePacket(
                packetID: 5,
                subscriptions: [
                    .init(filter: "a/+/c", qos: .atMostOnce), .init(filter: "#", qos: .atLeastOnce),
                    .init(filter: "$share/g/+/attrs", qos: .exactlyOnce),
                ])),
        .suback(SubAckPacket(packetID: 5, returnCodes: [.granted(.atMostOnce), .granted(.exactlyOnce), .failure])),
        .unsubscribe(UnsubscribePacket(packetID: 6, filters: ["a/+/c", "#"])),
        .unsuback(packetID: 6),
        .pingreq,
        .pingresp,
        .disconnect,
    ]

    static func encode(_ packet: MQTTPacket) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try packet.write(to: &buffer)
        return buffer
    }
}
