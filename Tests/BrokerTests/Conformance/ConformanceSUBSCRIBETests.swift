import BrokerTestSupport
import MQTTAuthorization
import MQTTCore
import NIOCore
import TestSupport
import Testing

/// MQTT 3.1.1 sections 3.8 (SUBSCRIBE), 3.9 (SUBACK) and 4.7 (topic names and filters).
@Suite(.timeLimit(.minutes(1))) struct ConformanceSUBSCRIBETests {
    /// The broker refuses the filter: it closes the connection, or answers 0x80.
    private func expectFilterRefused(_ broker: TestBroker, _ filter: [UInt8]) async throws {
        let (client, _) = try await RawClient.connect(broker, clientID: "refuse")
        try await client.sendRaw(Wire.subscribe(packetID: 3, filters: [(filter, 0)]))
        switch try await client.next() {
        case .closed: return
        case .packet(.suback(let suback)):
            #expect(suback.packetID == 3 && suback.returnCodes == [.failure])
            await client.disconnect()
        case let other: throw TestFailure("filter \(filter) accepted: \(String(describing: other))")
        }
    }

    @Test("[MQTT-3.8.1-1] [MQTT-2.2.2-2] a SUBSCRIBE whose fixed-header flags are not 0010 closes the connection", arguments: [UInt8(0x00), 0x03, 0x0A])
    func subscribeFlags(_ flags: UInt8) async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(Wire.subscribe(flags: flags, filters: [(Array("a".utf8), 0)]))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.8.3-1] [MQTT-1.5.3-1] a SUBSCRIBE filter that is not UTF-8 closes the connection")
    func filterNotUTF8() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(Wire.subscribe(filters: [(Wire.surrogate, 0)]))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.8.3-2] the broker supports wildcards: wildcard filters are granted and match")
    func wildcardsSupported() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            #expect(try await client.subscribe([("+/w/#", .atLeastOnce)]) == [.granted(.atLeastOnce)])
            try await client.publish("x/w/y/z", "hit")
            #expect(try await client.nextPublish().topic == "x/w/y/z")
        }
    }

    @Test("[MQTT-3.8.3-3] a SUBSCRIBE without any filter closes the connection")
    func emptySubscribe() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(Wire.subscribe(filters: []))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.8.3-4] a requested-QoS byte with reserved bits set or QoS 3 closes the connection", arguments: [UInt8(0x03), 0x04, 0x81, 0xFC])
    func badRequestedQoS(_ options: UInt8) async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(Wire.subscribe(filters: [(Array("a".utf8), 0), (Array("b".utf8), options)]))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.8.4-1] [MQTT-3.8.4-2] [MQTT-2.3.1-7] every SUBSCRIBE gets a SUBACK with its packet identifier")
    func subackCarriesPacketID() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            for id: UInt16 in [1, 0x4321, 0xFFFF] {
                try await client.send(.subscribe(SubscribePacket(packetID: id, subscriptions: [.init(filter: "s/\(id)", qos: .atLeastOnce)])))
                try await client.expect(.suback(SubAckPacket(packetID: id, returnCodes: [.granted(.atLeastOnce)])))
            }
        }
    }

    @Test("[MQTT-3.8.4-3] subscribing again to a filter replaces its QoS, re-sends the retained message, and keeps one subscription")
    func resubscribeReplaces() async throws {
        try await withConformanceBroker { broker in
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("rs/t", "retained", retain: true)
            try await publisher.expectAlive()
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            #expect(try await client.subscribe([("rs/t", .atLeastOnce)]) == [.granted(.atLeastOnce)])
            #expect(try await client.nextPublish().payloadString == "retained")
            #expect(try await client.subscribe([("rs/t", .atMostOnce)], id: 2) == [.granted(.atMostOnce)])
            let again = try await client.nextPublish()
            #expect(again.payloadString == "retained" && again.retain)
            try await publisher.publish("rs/t", "live", qos: .atLeastOnce, id: 5)
            try await publisher.expect(.puback(packetID: 5))
            let live = try await client.nextPublish()
            #expect(live.payloadString == "live" && live.qos == .atMostOnce)
            try await client.expectSilence(for: .milliseconds(150))
        }
    }

    @Test("[MQTT-3.8.4-4] a SUBSCRIBE with several filters subscribes to each, answered by one SUBACK")
    func severalFilters() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            #expect(try await client.subscribe([("mf/a", .atMostOnce), ("mf/b", .atMostOnce), ("mf/c/#", .atMostOnce)]).count == 3)
            try await client.expectSilence(for: .milliseconds(100))
            for topic in ["mf/a", "mf/b", "mf/c/d"] { try await client.publish(topic, topic) }
            for topic in ["mf/a", "mf/b", "mf/c/d"] { #expect(try await client.nextPublish().topic == topic) }
        }
    }

    @Test("[MQTT-3.8.4-5] [MQTT-3.9.3-1] [MQTT-3.9.3-2] one return code per filter, in order: the granted QoS or 0x80")
    func returnCodesPerFilterInOrder() async throws {
        try await withConformanceBroker(authorizer: DojotAuthorizer()) { broker in
            let (device, _) = try await RawClient.connect(broker, clientID: "d1", username: "admin:d1")
            let codes = try await device.subscribe([
                ("admin:d1/config", .exactlyOnce), ("admin:d2/config", .atLeastOnce),
                ("admin:d1/config", .atMostOnce), ("#", .atMostOnce), ("admin:d1/config", .atLeastOnce),
            ])
            #expect(codes == [.granted(.exactlyOnce), .failure, .granted(.atMostOnce), .failure, .granted(.atLeastOnce)])
            #expect(codes.allSatisfy { [0x00, 0x01, 0x02, 0x80].contains($0.rawValue) })
        }
    }

    @Test("[MQTT-3.8.4-6] a message goes out at the lower of its published QoS and the granted QoS")
    func minimumQoS() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            _ = try await client.subscribe([("mq/1", .atLeastOnce), ("mq/2", .exactlyOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("mq/1", "a", qos: .exactlyOnce, id: 1)
            try await publisher.expect(.pubrec(packetID: 1))
            try await publisher.send(.pubrel(packetID: 1))
            try await publisher.expect(.pubcomp(packetID: 1))
            try await publisher.publish("mq/2", "b", qos: .atMostOnce)
            try await publisher.publish("mq/2", "c", qos: .atLeastOnce, id: 2)
            try await publisher.expect(.puback(packetID: 2))
            let qos = [try await client.nextPublish(), try await client.nextPublish(), try await client.nextPublish()].map(\.qos)
            #expect(qos == [.atLeastOnce, .atMostOnce, .atLeastOnce])
        }
    }

    @Test(
        "[MQTT-4.7.1-2] '#' must stand alone or after a separator and come last: other placements are refused, valid ones match the parent",
        arguments: ["a/#/b", "a#", "#/a", "a/b#", "##"])
    func multiLevelWildcardPlacement(_ filter: String) async throws {
        try await withConformanceBroker { broker in
            try await self.expectFilterRefused(broker, Array(filter.utf8))
            let (client, _) = try await RawClient.connect(broker, clientID: "ok")
            #expect(try await client.subscribe([("ml/#", .atMostOnce)]) == [.granted(.atMostOnce)])
            for topic in ["ml", "ml/x/y", "mlx"] { try await client.publish(topic, topic) }
            #expect(try await client.nextPublish().topic == "ml")
            #expect(try await client.nextPublish().topic == "ml/x/y")
            try await client.expectSilence(for: .milliseconds(100))
        }
    }

    @Test(
        "[MQTT-4.7.1-3] '+' must occupy a whole level: other placements are refused; valid ones match exactly one level, at any position",
        arguments: ["a+", "+a/b", "a/+b", "a/b+/c"])
    func singleLevelWildcardPlacement(_ filter: String) async throws {
        try await withConformanceBroker { broker in
            try await self.expectFilterRefused(broker, Array(filter.utf8))
            let (client, _) = try await RawClient.connect(broker, clientID: "ok")
            _ = try await client.subscribe([("+/sl/+", .atMostOnce)])
            for topic in ["x/sl/y", "/sl/", "x/sl", "x/sl/y/z"] { try await client.publish(topic, topic) }
            #expect(try await client.nextPublish().topic == "x/sl/y")
            #expect(try await client.nextPublish().topic == "/sl/")
            try await client.expectSilence(for: .milliseconds(100))
        }
    }

    @Test("[MQTT-4.7.2-1] filters starting with a wildcard do not match topics starting with $; explicit $ filters do")
    func dollarTopics() async throws {
        try await withConformanceBroker { broker in
            let (wild, _) = try await RawClient.connect(broker, clientID: "wild")
            _ = try await wild.subscribe([("#", .atMostOnce), ("+/info", .atMostOnce)])
            let (explicit, _) = try await RawClient.connect(broker, clientID: "explicit")
            _ = try await explicit.subscribe([("$SYS/#", .atMostOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("$SYS/info", "dollar")
            #expect(try await explicit.nextPublish().topic == "$SYS/info")
            try await wild.expectSilence(for: .milliseconds(150))
            try await publisher.publish("plain/info", "plain")
            #expect(try await wild.nextPublish().topic == "plain/info")
        }
    }

    @Test("[MQTT-4.7.3-1] an empty topic filter is refused")
    func emptyFilter() async throws {
        try await withConformanceBroker { broker in
            try await self.expectFilterRefused(broker, [])
        }
    }

    @Test("[MQTT-4.7.3-2] [MQTT-1.5.3-2] a U+0000 in a topic filter closes the connection")
    func nullInFilter() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(Wire.subscribe(filters: [([0x61, 0x00], 0)]))
            try await client.expectClosedWithoutPackets()
        }
    }
}

/// MQTT 3.1.1 sections 3.10 (UNSUBSCRIBE) and 3.11 (UNSUBACK).
@Suite(.timeLimit(.minutes(1))) struct ConformanceUNSUBSCRIBETests {
    @Test("[MQTT-3.10.1-1] [MQTT-2.2.2-2] an UNSUBSCRIBE whose fixed-header flags are not 0010 closes the connection", arguments: [UInt8(0x00), 0x06])
    func unsubscribeFlags(_ flags: UInt8) async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(Wire.unsubscribe(flags: flags, filters: [Array("a".utf8)]))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.10.3-1] [MQTT-1.5.3-1] an UNSUBSCRIBE filter that is not UTF-8 closes the connection")
    func filterNotUTF8() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(Wire.unsubscribe(filters: [Wire.surrogate]))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.10.3-2] an UNSUBSCRIBE without any filter closes the connection")
    func emptyUnsubscribe() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(Wire.unsubscribe(filters: []))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.10.4-1] only a filter equal character by character is removed: a/b does not remove a/+")
    func exactComparison() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            _ = try await client.subscribe([("u/+", .atMostOnce)])
            try await client.unsubscribe(["u/b", "u/#", "U/+"], id: 2)
            try await client.publish("u/b", "still")
            #expect(try await client.nextPublish().payloadString == "still")
            try await client.unsubscribe(["u/+"], id: 3)
            try await client.publish("u/b", "gone")
            try await client.expectSilence(for: .milliseconds(150))
        }
    }

    @Test("[MQTT-3.10.4-2] after UNSUBSCRIBE no new messages are sent for the filter, online or queued")
    func noNewMessages() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c", cleanSession: false)
            _ = try await client.subscribe([("un/#", .atLeastOnce)])
            try await client.unsubscribe(["un/#"], id: 2)
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("un/a", "x", qos: .atLeastOnce, id: 1)
            try await publisher.expect(.puback(packetID: 1))
            try await client.expectSilence(for: .milliseconds(150))
            await client.drop()
            try await publisher.publish("un/a", "y", qos: .atLeastOnce, id: 2)
            try await publisher.expect(.puback(packetID: 2))
            let (back, _) = try await RawClient.connect(broker, clientID: "c", cleanSession: false)
            try await back.expectSilence(for: .milliseconds(150))
        }
    }

    @Test("[MQTT-3.10.4-3] deliveries started before UNSUBSCRIBE are completed: QoS 2 goes on to PUBREL, QoS 1 is re-sent after a reconnect")
    func startedDeliveriesComplete() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c", cleanSession: false)
            _ = try await client.subscribe([("ud/2", .exactlyOnce), ("ud/1", .atLeastOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("ud/2", "two", qos: .exactlyOnce, id: 1)
            try await publisher.expect(.pubrec(packetID: 1))
            try await publisher.send(.pubrel(packetID: 1))
            try await publisher.expect(.pubcomp(packetID: 1))
            try await publisher.publish("ud/1", "one", qos: .atLeastOnce, id: 2)
            try await publisher.expect(.puback(packetID: 2))
            let two = try await client.nextPublish()
            let one = try await client.nextPublish()
            try await client.unsubscribe(["ud/2", "ud/1"], id: 2)
            try await client.send(.pubrec(packetID: two.packetID!))
            try await client.expect(.pubrel(packetID: two.packetID!))
            try await client.send(.pubcomp(packetID: two.packetID!))
            await client.drop()
            let (back, _) = try await RawClient.connect(broker, clientID: "c", cleanSession: false)
            let again = try await back.nextPublish()
            #expect(again.payloadString == "one" && again.packetID == one.packetID && again.dup)
        }
    }

    @Test("[MQTT-3.10.4-4] [MQTT-3.10.4-5] [MQTT-2.3.1-7] UNSUBSCRIBE gets an UNSUBACK with its identifier, even when nothing was subscribed")
    func unsubackAlways() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.send(.unsubscribe(UnsubscribePacket(packetID: 0x2468, filters: ["never/subscribed"])))
            try await client.expect(.unsuback(packetID: 0x2468))
            _ = try await client.subscribe([("was/here", .atMostOnce)])
            try await client.send(.unsubscribe(UnsubscribePacket(packetID: 0x1357, filters: ["was/here"])))
            try await client.expect(.unsuback(packetID: 0x1357))
        }
    }

    @Test("[MQTT-3.10.4-6] an UNSUBSCRIBE with several filters removes each, answered by one UNSUBACK")
    func severalFilters() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            _ = try await client.subscribe([("us/a", .atMostOnce), ("us/b", .atMostOnce), ("us/c", .atMostOnce)])
            try await client.unsubscribe(["us/a", "us/c"], id: 9)
            try await client.expectSilence(for: .milliseconds(100))
            for topic in ["us/a", "us/b", "us/c"] { try await client.publish(topic, topic) }
            #expect(try await client.nextPublish().topic == "us/b")
            try await client.expectSilence(for: .milliseconds(150))
        }
    }
}
