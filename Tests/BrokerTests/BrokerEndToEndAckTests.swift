import BrokerTestSupport
import MQTTCore
import TestSupport
import Testing

/// A QoS 1/2 PUBLISH that matches shared subscriptions is acknowledged to its publisher only once
/// a member of every matching group has acknowledged it (BROKER_END_TO_END_ACK, on by default).
@Suite struct BrokerEndToEndAckTests {
    func expectAck(_ client: RawClient, _ expected: MQTTPacket) async throws {
        let event = try await client.next()
        guard case .packet(let packet) = event, packet == expected else { throw TestFailure("expected \(expected), got \(String(describing: event))") }
    }

    @Test func thePublisherIsAcknowledgedWhenTheMemberIs() async throws {
        try await withTestBroker { broker in
            let (member, _) = try await RawClient.connect(broker, clientID: "v2k-0", cleanSession: false)
            _ = try await member.subscribe([("$share/v2k/+/attrs", .atLeastOnce)])
            let (device, _) = try await RawClient.connect(broker, clientID: "d")
            try await device.publish("admin:d/attrs", "m", qos: .atLeastOnce, id: 7)
            let copy = try await member.nextPublish()
            try await device.expectSilence()
            try await member.send(.puback(packetID: copy.packetID!))
            try await self.expectAck(device, .puback(packetID: 7))
        }
    }

    @Test func everyMatchingGroupMustAcknowledge() async throws {
        try await withTestBroker { broker in
            let (first, _) = try await RawClient.connect(broker, clientID: "g1")
            _ = try await first.subscribe([("$share/one/+/attrs", .atLeastOnce)])
            let (second, _) = try await RawClient.connect(broker, clientID: "g2")
            _ = try await second.subscribe([("$share/two/#", .atLeastOnce)])
            let (device, _) = try await RawClient.connect(broker, clientID: "d")
            try await device.publish("admin:d/attrs", "m", qos: .atLeastOnce, id: 1)
            let one = try await first.nextPublish()
            let two = try await second.nextPublish()
            try await first.send(.puback(packetID: one.packetID!))
            try await device.expectSilence()
            try await second.send(.puback(packetID: two.packetID!))
            try await self.expectAck(device, .puback(packetID: 1))
        }
    }

    @Test func aLostMembersCopyGoesToAnotherAndThePublisherKeepsWaiting() async throws {
        try await withTestBroker { broker in
            let (lost, _) = try await RawClient.connect(broker, clientID: "a")
            _ = try await lost.subscribe([("$share/v2k/+/attrs", .atLeastOnce)])
            let (device, _) = try await RawClient.connect(broker, clientID: "d")
            try await device.publish("admin:d/attrs", "m", qos: .atLeastOnce, id: 2)
            _ = try await lost.nextPublish()
            let (other, _) = try await RawClient.connect(broker, clientID: "b")
            _ = try await other.subscribe([("$share/v2k/+/attrs", .atLeastOnce)])
            await lost.drop()  // without PUBACK
            let copy = try await other.nextPublish()
            #expect(copy.payloadString == "m")
            try await device.expectSilence()
            try await other.send(.puback(packetID: copy.packetID!))
            try await self.expectAck(device, .puback(packetID: 2))
        }
    }

    @Test func anOfflineGroupHoldsTheAcknowledgementUntilItsMemberIsBack() async throws {
        try await withTestBroker { broker in
            let (member, _) = try await RawClient.connect(broker, clientID: "v2k-0", cleanSession: false)
            _ = try await member.subscribe([("$share/v2k/+/attrs", .atLeastOnce)])
            await member.disconnect()
            let (device, _) = try await RawClient.connect(broker, clientID: "d")
            try await device.publish("admin:d/attrs", "waits", qos: .atLeastOnce, id: 3)
            try await device.expectSilence()
            let (back, _) = try await RawClient.connect(broker, clientID: "v2k-0", cleanSession: false)
            let copy = try await back.nextPublish()
            #expect(copy.payloadString == "waits")
            try await back.send(.puback(packetID: copy.packetID!))
            try await self.expectAck(device, .puback(packetID: 3))
        }
    }

    @Test func acknowledgementsKeepTheOrderOfThePublishes() async throws {
        try await withTestBroker { broker in
            let (member, _) = try await RawClient.connect(broker, clientID: "v2k-0")
            _ = try await member.subscribe([("$share/v2k/+/attrs", .atLeastOnce)])
            let (device, _) = try await RawClient.connect(broker, clientID: "d")
            try await device.publish("admin:d/attrs", "to the group", qos: .atLeastOnce, id: 1)
            try await device.publish("no/subscriber", "nobody", qos: .atLeastOnce, id: 2)
            // The second needs no member, but its PUBACK may not overtake the first's.
            try await device.expectSilence()
            let copy = try await member.nextPublish()
            try await member.send(.puback(packetID: copy.packetID!))
            try await self.expectAck(device, .puback(packetID: 1))
            try await self.expectAck(device, .puback(packetID: 2))
        }
    }

    @Test func qos2IsRecordedWhenTheMemberHasItAndARetransmissionWaitsToo() async throws {
        try await withTestBroker { broker in
            let (member, _) = try await RawClient.connect(broker, clientID: "v2k-0")
            _ = try await member.subscribe([("$share/v2k/+/attrs", .exactlyOnce)])
            let (device, _) = try await RawClient.connect(broker, clientID: "d")
            try await device.publish("admin:d/attrs", "once", qos: .exactlyOnce, id: 4)
            try await device.publish("admin:d/attrs", "once", qos: .exactlyOnce, id: 4, dup: true)
            let copy = try await member.nextPublish()
            try await member.expectSilence()  // the retransmission is not routed again
            try await device.expectSilence()
            try await member.send(.pubrec(packetID: copy.packetID!))
            try await self.expectAck(device, .pubrec(packetID: 4))
        }
    }

    @Test func aQoS0MemberAcknowledgesOnReceipt() async throws {
        try await withTestBroker { broker in
            let (member, _) = try await RawClient.connect(broker, clientID: "v2k-0")
            _ = try await member.subscribe([("$share/v2k/+/attrs", .atMostOnce)])
            let (device, _) = try await RawClient.connect(broker, clientID: "d")
            try await device.publish("admin:d/attrs", "m", qos: .atLeastOnce, id: 5)
            try await self.expectAck(device, .puback(packetID: 5))
            #expect(try await member.nextPublish().payloadString == "m")
        }
    }

    @Test func turnedOffThePublisherIsAcknowledgedAtOnce() async throws {
        try await withTestBroker(configure: { $0.endToEndAcknowledgement = false }) { broker in
            let (member, _) = try await RawClient.connect(broker, clientID: "v2k-0")
            _ = try await member.subscribe([("$share/v2k/+/attrs", .atLeastOnce)])
            let (device, _) = try await RawClient.connect(broker, clientID: "d")
            try await device.publish("admin:d/attrs", "m", qos: .atLeastOnce, id: 6)
            try await self.expectAck(device, .puback(packetID: 6))
            _ = try await member.nextPublish()
        }
    }
}
