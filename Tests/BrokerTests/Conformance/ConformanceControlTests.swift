import MQTTCore
import NIOCore
import TestSupport
import Testing

/// MQTT 3.1.1 chapter 2 (packet format), PUBREL flags, PINGREQ, DISCONNECT, protocol violations
/// and the transport (chapters 4.8 and 7).
@Suite(.timeLimit(.minutes(1))) struct ConformanceControlTests {
    @Test("[MQTT-2.2.2-1] the broker's packets carry the reserved flags the standard lists (the strict test decoder would refuse others)")
    func brokerPacketFlags() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            // SUBACK (0000), PUBLISH, PUBREL (0010), UNSUBACK (0000), PINGRESP (0000), each decoded strictly.
            _ = try await client.subscribe([("f/t", .exactlyOnce)])
            try await client.publish("f/t", "x", qos: .exactlyOnce, id: 1)
            var sawPubrec = false
            var delivered: PublishPacket?
            while !sawPubrec || delivered == nil {
                switch try await client.nextPacket() {
                case .pubrec(1): sawPubrec = true
                case .publish(let publish): delivered = publish
                case let other: throw TestFailure("unexpected \(other)")
                }
            }
            try await client.send(.pubrel(packetID: 1))
            try await client.send(.pubrec(packetID: delivered!.packetID!))
            var got: Set<String> = []
            while got.count < 2 {
                switch try await client.nextPacket() {
                case .pubcomp(1): got.insert("pubcomp")
                case .pubrel(delivered!.packetID!): got.insert("pubrel")
                case let other: throw TestFailure("unexpected \(other)")
                }
            }
            try await client.send(.pubcomp(packetID: delivered!.packetID!))
            try await client.unsubscribe(["f/t"], id: 4)
            try await client.expectAlive()
        }
    }

    @Test(
        "[MQTT-2.2.2-2] [MQTT-3.14.1-1] reserved flags set on PUBACK, PINGREQ or DISCONNECT close the connection",
        arguments: [[UInt8(0x41), 0x02, 0x00, 0x01], [0xC1, 0x00], [0xE2, 0x00]])
    func reservedFlagsClose(_ bytes: [UInt8]) async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(bytes)
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.14.1-1] a DISCONNECT with reserved flags is no DISCONNECT: the connection closes and the will is published")
    func badDisconnectPublishesWill() async throws {
        try await withConformanceBroker { broker in
            let (watcher, _) = try await RawClient.connect(broker, clientID: "w")
            _ = try await watcher.subscribe([("will/#", .atMostOnce)])
            let (client, _) = try await RawClient.connect(broker, clientID: "c", will: .init(topic: "will/c", payload: .text("lost")))
            try await client.sendRaw([0xE1, 0x00])
            try await client.expectClosedWithoutPackets()
            #expect(try await watcher.nextPublish().payloadString == "lost")
        }
    }

    @Test("[MQTT-3.6.1-1] a PUBREL whose flags are not 0010 closes the connection", arguments: [UInt8(0x60), 0x63, 0x6A])
    func pubrelFlags(_ first: UInt8) async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.publish("pr/t", "x", qos: .exactlyOnce, id: 3)
            try await client.expect(.pubrec(packetID: 3))
            try await client.sendRaw([first, 0x02, 0x00, 0x03])
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.12.4-1] PINGREQ gets PINGRESP")
    func pingResponse() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            for _ in 0..<3 { try await client.expectAlive() }
        }
    }

    @Test(
        "[MQTT-4.8.0-1] packets only a server may send (CONNACK, SUBACK, UNSUBACK, PINGRESP) are protocol violations that close the connection",
        arguments: [[UInt8(0x20), 0x02, 0x00, 0x00], [0x90, 0x03, 0x00, 0x01, 0x00], [0xB0, 0x02, 0x00, 0x01], [0xD0, 0x00]])
    func serverPacketsFromClient(_ bytes: [UInt8]) async throws {
        try await withConformanceBroker { broker in
            let (bystander, _) = try await RawClient.connect(broker, clientID: "b")
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(bytes)
            try await client.expectClosedWithoutPackets()
            try await bystander.expectAlive()
        }
    }

    @Test("[MQTT-4.8.0-1] a reserved packet type (0 or 15) closes the connection", arguments: [UInt8(0x00), 0xF0])
    func reservedPacketType(_ first: UInt8) async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw([first, 0x00])
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-7.1.1-1] the broker reads a byte stream: packets split into single bytes or run together are all understood")
    func byteStream() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            let subscribe = Wire.subscribe(packetID: 2, filters: [(Array("bs/t".utf8), 0)])
            for byte in Wire.connect(payload: Wire.string("stream")) + subscribe {
                try await client.sendRaw([byte])
            }
            #expect(try await client.nextConnAck().returnCode == .accepted)
            try await client.expect(.suback(SubAckPacket(packetID: 2, returnCodes: [.granted(.atMostOnce)])))
            let publishes = (1...3).flatMap { Wire.publish(topic: Array("bs/t".utf8), payload: Array("m\($0)".utf8)) }
            try await client.sendRaw(publishes + [0xC0, 0x00])
            for n in 1...3 { #expect(try await client.nextPublish().payloadString == "m\(n)") }
            try await client.expect(.pingresp)
        }
    }

    @Test("[MQTT-7.0.0-2] a client using only standard MQTT 3.1.1 (no user name, no extension) connects, publishes and subscribes")
    func noExtensionNeeded() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(payload: Wire.string("plain")))
            #expect(try await client.nextConnAck().returnCode == .accepted)
            #expect(try await client.subscribe([("std/t", .atLeastOnce)]) == [.granted(.atLeastOnce)])
            try await client.publish("std/t", "x", qos: .atLeastOnce, id: 1)
            var sawPuback = false
            var sawPublish = false
            while !(sawPuback && sawPublish) {
                switch try await client.nextPacket() {
                case .puback(1): sawPuback = true
                case .publish(let publish): sawPublish = publish.payloadString == "x"
                case let other: throw TestFailure("unexpected \(other)")
                }
            }
        }
    }
}
