import BrokerTestSupport
import MQTTAuthorization
import MQTTCore
import NIOCore
import Testing

/// MQTT 3.1.1 section 3.3 (PUBLISH) and its acknowledgements, as the broker honours them.
@Suite(.timeLimit(.minutes(1))) struct ConformancePUBLISHTests {
    /// A subscriber on `filter` at `qos` and a publisher, both clean sessions.
    private func pair(_ broker: TestBroker, _ filter: String, _ qos: QoS = .exactlyOnce) async throws -> (RawClient, RawClient) {
        let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub")
        _ = try await subscriber.subscribe([(filter, qos)])
        let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
        return (subscriber, publisher)
    }

    @Test("[MQTT-2.3.1-5] [MQTT-4.3.1-1] [MQTT-3.3.1-2] QoS 0 messages go out with QoS 0, DUP 0 and no packet identifier")
    func qos0Delivery() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, publisher) = try await self.pair(broker, "q0/#", .atMostOnce)
            // Published at QoS 1 with DUP set, delivered at the granted QoS 0.
            try await publisher.publish("q0/a", "exact-payload", qos: .atLeastOnce, id: 4, dup: true)
            try await publisher.expect(.puback(packetID: 4))
            let message = try await subscriber.nextPublish()
            #expect(message.qos == .atMostOnce && !message.dup && message.packetID == nil)
            // A packet identifier would have shown up as two extra payload bytes.
            #expect(message.payloadString == "exact-payload")
        }
    }

    @Test("[MQTT-2.3.1-1] a QoS 1 PUBLISH with packet identifier 0 closes the connection; the broker's own identifiers are non-zero")
    func zeroPacketIdentifier() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, publisher) = try await self.pair(broker, "id/#", .atLeastOnce)
            try await publisher.publish("id/a", "x", qos: .atLeastOnce, id: 1)
            try await publisher.expect(.puback(packetID: 1))
            let message = try await subscriber.nextPublish()
            #expect((message.packetID ?? 0) != 0)
            try await publisher.sendRaw(Wire.publish(topic: Array("id/a".utf8), qos: 1, packetID: 0))
            try await publisher.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-2.3.1-4] [MQTT-4.3.2-1] the broker gives unacknowledged QoS 1 messages distinct identifiers, QoS 1 and DUP 0, and keeps them until PUBACK")
    func outboundQoS1Identifiers() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub", cleanSession: false)
            _ = try await subscriber.subscribe([("o/#", .atLeastOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            for id: UInt16 in 1...4 {
                try await publisher.publish("o/\(id)", "\(id)", qos: .atLeastOnce, id: id)
                try await publisher.expect(.puback(packetID: id))
            }
            var ids: [UInt16] = []
            for _ in 1...4 {
                let message = try await subscriber.nextPublish()
                #expect(message.qos == .atLeastOnce && !message.dup)
                ids.append(try #require(message.packetID))
            }
            #expect(Set(ids).count == 4 && !ids.contains(0))
            // Two acknowledged, two not: only the unacknowledged come back after a reconnect.
            try await subscriber.send(.puback(packetID: ids[0]))
            try await subscriber.send(.puback(packetID: ids[1]))
            try await subscriber.expectSilence(for: .milliseconds(100))
            await subscriber.drop()
            let (back, _) = try await RawClient.connect(broker, clientID: "sub", cleanSession: false)
            let again = [try await back.nextPublish(), try await back.nextPublish()]
            #expect(again.map(\.packetID) == [ids[2], ids[3]])
            #expect(again.map(\.payloadString) == ["3", "4"])
            try await back.expectSilence(for: .milliseconds(200))
        }
    }

    @Test("[MQTT-3.3.1-1] [MQTT-4.4.0-1] [MQTT-4.6.0-1] after a reconnect unacknowledged messages come again with DUP 1, their identifiers, in order")
    func redeliveryAfterReconnect() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub", cleanSession: false)
            _ = try await subscriber.subscribe([("r/#", .exactlyOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            for id: UInt16 in 1...5 {
                try await publisher.publish("r/t", "m\(id)", qos: .atLeastOnce, id: id)
                try await publisher.expect(.puback(packetID: id))
            }
            var first: [PublishPacket] = []
            for _ in 1...5 { first.append(try await subscriber.nextPublish()) }
            await subscriber.drop()
            let (back, _) = try await RawClient.connect(broker, clientID: "sub", cleanSession: false)
            var second: [PublishPacket] = []
            for _ in 1...5 { second.append(try await back.nextPublish()) }
            #expect(second.allSatisfy { $0.dup })
            #expect(second.map(\.packetID) == first.map(\.packetID))
            #expect(second.map(\.payloadString) == ["m1", "m2", "m3", "m4", "m5"])
        }
    }

    @Test("[MQTT-3.3.1-3] an incoming DUP 1 is not passed on: the subscriber's first copy has DUP 0")
    func dupNotPropagated() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, publisher) = try await self.pair(broker, "dup/#", .atLeastOnce)
            try await publisher.publish("dup/a", "x", qos: .atLeastOnce, id: 9, dup: true)
            try await publisher.expect(.puback(packetID: 9))
            let message = try await subscriber.nextPublish()
            #expect(message.qos == .atLeastOnce && !message.dup)
        }
    }

    @Test("[MQTT-3.3.1-4] [MQTT-2.2.2-2] a PUBLISH with both QoS bits set closes the connection")
    func qos3Closes() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(Wire.packet(0x36, Wire.string("a") + [0, 1]))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.3.2-1] [MQTT-1.5.3-1] a topic name that is not UTF-8 closes the connection")
    func topicNotUTF8() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(Wire.publish(topic: [0x61, 0x2F] + Wire.surrogate))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.3.2-2] [MQTT-4.7.1-1] a topic name with a wildcard closes the connection", arguments: ["a/+", "+", "a/#", "#", "a/b+"])
    func wildcardInTopicName(_ topic: String) async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(Wire.publish(topic: Array(topic.utf8), qos: 1))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-4.7.3-1] an empty topic name closes the connection")
    func emptyTopicName() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(Wire.publish(topic: []))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-4.7.3-2] [MQTT-1.5.3-2] a U+0000 in a topic name closes the connection")
    func nullInTopicName() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.sendRaw(Wire.publish(topic: [0x61, 0x00, 0x62]))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-1.5.3-3] a leading U+FEFF (EF BB BF) is part of the topic: kept, and matched only as written")
    func byteOrderMarkKept() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub")
            _ = try await subscriber.subscribe([("\u{FEFF}bom/t", .atMostOnce), ("bom/t", .atMostOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.sendRaw(Wire.publish(topic: [0xEF, 0xBB, 0xBF] + Array("bom/t".utf8), payload: Array("with".utf8)))
            let message = try await subscriber.nextPublish()
            #expect(Array(message.topic.utf8) == [0xEF, 0xBB, 0xBF] + Array("bom/t".utf8))
            #expect(message.payloadString == "with")
            try await subscriber.expectSilence(for: .milliseconds(150))
        }
    }

    @Test("[MQTT-3.3.2-3] a subscriber gets only messages whose topic matches its filter, under the topic they were published to")
    func deliveredTopicMatchesFilter() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, publisher) = try await self.pair(broker, "m/+/x", .atMostOnce)
            for topic in ["m/a/x", "m/a/y", "m/a/x/z", "n/a/x", "m//x"] { try await publisher.publish(topic, topic) }
            #expect(try await subscriber.nextPublish().topic == "m/a/x")
            #expect(try await subscriber.nextPublish().topic == "m//x")
            try await subscriber.expectSilence(for: .milliseconds(150))
        }
    }

    @Test("[MQTT-3.3.4-1] the broker answers PUBLISH by its QoS: nothing for 0, PUBACK for 1, PUBREC for 2")
    func responsesByQoS() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            try await client.publish("resp/0", "x")
            try await client.expectSilence(for: .milliseconds(150))
            try await client.publish("resp/1", "x", qos: .atLeastOnce, id: 11)
            try await client.expect(.puback(packetID: 11))
            try await client.publish("resp/2", "x", qos: .exactlyOnce, id: 12)
            try await client.expect(.pubrec(packetID: 12))
        }
    }

    @Test("[MQTT-2.3.1-6] [MQTT-4.3.2-2] PUBACK carries the PUBLISH's identifier; after it the same identifier is a new message, DUP or not")
    func qos1Receiver() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, publisher) = try await self.pair(broker, "r1/#", .atMostOnce)
            try await publisher.publish("r1/a", "first", qos: .atLeastOnce, id: 0x1234)
            try await publisher.expect(.puback(packetID: 0x1234))
            try await publisher.publish("r1/a", "second", qos: .atLeastOnce, id: 0x1234, dup: true)
            try await publisher.expect(.puback(packetID: 0x1234))
            #expect(try await subscriber.nextPublish().payloadString == "first")
            #expect(try await subscriber.nextPublish().payloadString == "second")
        }
    }

    @Test("[MQTT-4.3.3-2] [MQTT-2.3.1-6] QoS 2 receiver: PUBREC, a repeated PUBLISH before PUBREL is not delivered twice, PUBCOMP, then the identifier is new")
    func qos2Receiver() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, publisher) = try await self.pair(broker, "r2/#", .atMostOnce)
            try await publisher.publish("r2/a", "once", qos: .exactlyOnce, id: 77)
            try await publisher.expect(.pubrec(packetID: 77))
            try await publisher.publish("r2/a", "once", qos: .exactlyOnce, id: 77, dup: true)
            try await publisher.expect(.pubrec(packetID: 77))
            try await publisher.send(.pubrel(packetID: 77))
            try await publisher.expect(.pubcomp(packetID: 77))
            #expect(try await subscriber.nextPublish().payloadString == "once")
            try await subscriber.expectSilence(for: .milliseconds(150))
            try await publisher.publish("r2/a", "new", qos: .exactlyOnce, id: 77)
            try await publisher.expect(.pubrec(packetID: 77))
            try await publisher.send(.pubrel(packetID: 77))
            try await publisher.expect(.pubcomp(packetID: 77))
            #expect(try await subscriber.nextPublish().payloadString == "new")
        }
    }

    @Test("[MQTT-4.3.3-1] [MQTT-2.3.1-6] QoS 2 sender: PUBLISH with QoS 2 and DUP 0, PUBREL with its identifier on PUBREC, and after PUBREL only PUBREL is re-sent")
    func qos2Sender() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub", cleanSession: false)
            _ = try await subscriber.subscribe([("s2/#", .exactlyOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("s2/a", "x", qos: .exactlyOnce, id: 5)
            try await publisher.expect(.pubrec(packetID: 5))
            try await publisher.send(.pubrel(packetID: 5))
            try await publisher.expect(.pubcomp(packetID: 5))
            let message = try await subscriber.nextPublish()
            #expect(message.qos == .exactlyOnce && !message.dup)
            let id = try #require(message.packetID)
            try await subscriber.send(.pubrec(packetID: id))
            try await subscriber.expect(.pubrel(packetID: id))
            // No PUBCOMP: after a reconnect the broker sends the PUBREL again, not the PUBLISH.
            await subscriber.drop()
            let (back, _) = try await RawClient.connect(broker, clientID: "sub", cleanSession: false)
            try await back.expect(.pubrel(packetID: id))
            try await back.send(.pubcomp(packetID: id))
            try await back.expectSilence(for: .milliseconds(200))
            await back.drop()
            let (third, _) = try await RawClient.connect(broker, clientID: "sub", cleanSession: false)
            try await third.expectSilence(for: .milliseconds(200))
        }
    }

    @Test("[MQTT-4.1.0-1] a persistent session keeps a half-finished incoming QoS 2 exchange across a reconnect: no second delivery")
    func sessionKeepsQoS2State() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub")
            _ = try await subscriber.subscribe([("st/#", .atMostOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub", cleanSession: false)
            try await publisher.publish("st/a", "once", qos: .exactlyOnce, id: 21)
            try await publisher.expect(.pubrec(packetID: 21))
            await publisher.drop()
            let (back, connack) = try await RawClient.connect(broker, clientID: "pub", cleanSession: false)
            #expect(connack.sessionPresent)
            try await back.publish("st/a", "once", qos: .exactlyOnce, id: 21, dup: true)
            try await back.expect(.pubrec(packetID: 21))
            try await back.send(.pubrel(packetID: 21))
            try await back.expect(.pubcomp(packetID: 21))
            #expect(try await subscriber.nextPublish().payloadString == "once")
            try await subscriber.expectSilence(for: .milliseconds(200))
        }
    }

    @Test("[MQTT-4.1.0-2] a clean session serves its connection for as long as it is open")
    func cleanSessionLastsWithConnection() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, publisher) = try await self.pair(broker, "live/#", .atLeastOnce)
            for round in 0..<3 {
                try await Task.sleep(for: .milliseconds(100))
                try await publisher.publish("live/a", "\(round)", qos: .atLeastOnce, id: UInt16(round + 1))
                try await publisher.expect(.puback(packetID: UInt16(round + 1)))
                let message = try await subscriber.nextPublish()
                #expect(message.payloadString == "\(round)")
                try await subscriber.send(.puback(packetID: message.packetID!))
            }
        }
    }

    @Test("[MQTT-3.3.5-1] overlapping subscriptions deliver one copy at the highest granted QoS (capped by the published QoS)")
    func overlappingSubscriptions() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub")
            _ = try await subscriber.subscribe([("ov/#", .atMostOnce), ("ov/+", .atLeastOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("ov/a", "x", qos: .exactlyOnce, id: 1)
            try await publisher.expect(.pubrec(packetID: 1))
            try await publisher.send(.pubrel(packetID: 1))
            try await publisher.expect(.pubcomp(packetID: 1))
            let message = try await subscriber.nextPublish()
            #expect(message.qos == .atLeastOnce)
            try await subscriber.send(.puback(packetID: message.packetID!))
            try await subscriber.expectSilence(for: .milliseconds(150))
        }
    }

    @Test("[MQTT-3.3.5-2] an unauthorized PUBLISH closes the connection and reaches nobody")
    func unauthorizedPublish() async throws {
        try await withConformanceBroker(authorizer: DojotAuthorizer()) { broker in
            let (device, _) = try await RawClient.connect(broker, clientID: "d1", username: "admin:d1")
            let (other, _) = try await RawClient.connect(broker, clientID: "d2", username: "admin:d2")
            _ = try await other.subscribe([("admin:d2/config", .atLeastOnce)])
            try await device.publish("admin:d2/config", "{}", qos: .atLeastOnce, id: 1)
            try await device.expectClosedWithoutPackets()
            try await other.expectSilence(for: .milliseconds(150))
        }
    }

    @Test("[MQTT-4.6.0-2] [MQTT-4.6.0-3] the broker acknowledges PUBLISHes in the order they came, QoS 1 and 2 mixed")
    func acknowledgementOrder() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "c")
            var expected: [MQTTPacket] = []
            for id: UInt16 in 1...20 {
                let qos: QoS = id % 3 == 0 ? .exactlyOnce : .atLeastOnce
                try await client.publish("ack/\(id)", "x", qos: qos, id: id)
                expected.append(qos == .exactlyOnce ? .pubrec(packetID: id) : .puback(packetID: id))
            }
            for packet in expected { try await client.expect(packet) }
        }
    }

    @Test("[MQTT-4.6.0-4] the broker sends PUBRELs in the order of the PUBRECs it received")
    func pubrelOrder() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, publisher) = try await self.pair(broker, "rel/#", .exactlyOnce)
            for id: UInt16 in 1...3 {
                try await publisher.publish("rel/\(id)", "x", qos: .exactlyOnce, id: id)
                try await publisher.expect(.pubrec(packetID: id))
                try await publisher.send(.pubrel(packetID: id))
                try await publisher.expect(.pubcomp(packetID: id))
            }
            var ids: [UInt16] = []
            for _ in 1...3 { ids.append(try #require(try await subscriber.nextPublish().packetID)) }
            for id in ids.reversed() { try await subscriber.send(.pubrec(packetID: id)) }
            for id in ids.reversed() { try await subscriber.expect(.pubrel(packetID: id)) }
        }
    }

    @Test("[MQTT-4.6.0-5] [MQTT-4.6.0-6] every topic is ordered: each subscriber gets one publisher's messages in the order sent, per QoS")
    func orderedTopics() async throws {
        try await withConformanceBroker { broker in
            let (first, _) = try await RawClient.connect(broker, clientID: "s1")
            _ = try await first.subscribe([("ord/#", .atLeastOnce)])
            let (second, _) = try await RawClient.connect(broker, clientID: "s2")
            _ = try await second.subscribe([("ord/t", .atMostOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            for n in 0..<40 { try await publisher.publish("ord/t", "\(n)", qos: n % 2 == 0 ? .atMostOnce : .atLeastOnce, id: UInt16(n + 1)) }
            var atFirst: [Int] = []
            var atSecond: [Int] = []
            for _ in 0..<40 {
                let message = try await first.nextPublish()
                atFirst.append(Int(message.payloadString)!)
                if let id = message.packetID { try await first.send(.puback(packetID: id)) }
                atSecond.append(Int(try await second.nextPublish().payloadString)!)
            }
            #expect(atFirst == Array(0..<40))
            #expect(atSecond == Array(0..<40))
        }
    }

    @Test("[MQTT-4.7.3-3] a topic name of 65535 bytes, the most a string can hold, is delivered whole")
    func longestTopicName() async throws {
        try await withConformanceBroker { broker in
            let topic = "long/" + String(repeating: "t", count: 65_535 - 5)
            let (subscriber, publisher) = try await self.pair(broker, "long/#", .atMostOnce)
            try await publisher.publish(topic, "x")
            let message = try await subscriber.nextPublish()
            #expect(message.topic.utf8.count == 65_535 && message.topic == topic)
        }
    }

    @Test("[MQTT-4.7.3-4] matching does not normalize: case, empty levels, trailing separators and Unicode forms are all distinct")
    func noNormalization() async throws {
        try await withConformanceBroker { broker in
            let precomposed = "n/caf\u{E9}"
            let decomposed = "n/cafe\u{301}"
            let (subscriber, publisher) = try await self.pair(broker, "n/a/b", .atMostOnce)
            _ = try await subscriber.subscribe([(precomposed, .atMostOnce)], id: 2)
            for topic in ["n/A/b", "n/a//b", "n/a/b/", "/n/a/b", "n/a/b ", decomposed] { try await publisher.publish(topic, "wrong") }
            try await publisher.publish("n/a/b", "right")
            try await publisher.publish(precomposed, "right")
            let one = try await subscriber.nextPublish()
            let two = try await subscriber.nextPublish()
            #expect(one.payloadString == "right" && two.payloadString == "right")
            #expect(Array(two.topic.utf8) == Array(precomposed.utf8))
            try await subscriber.expectSilence(for: .milliseconds(150))
        }
    }
}

/// MQTT 3.1.1 section 3.3.1.3: retained messages.
@Suite(.timeLimit(.minutes(1))) struct ConformanceRetainTests {
    @Test("[MQTT-3.3.1-5] [MQTT-3.3.1-8] a retained message is stored with its QoS and sent to new subscribers with retain 1")
    func retainedStoredWithQoS() async throws {
        try await withConformanceBroker { broker in
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("ret/q1", "one", qos: .atLeastOnce, retain: true, id: 1)
            try await publisher.expect(.puback(packetID: 1))
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub")
            _ = try await subscriber.subscribe([("ret/q1", .exactlyOnce)])
            let message = try await subscriber.nextPublish()
            #expect(message.retain && message.qos == .atLeastOnce && message.payloadString == "one")
        }
    }

    @Test("[MQTT-3.3.1-6] a new subscription gets the last retained message of every matching topic")
    func retainedOfEveryMatchingTopic() async throws {
        try await withConformanceBroker { broker in
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            for (topic, payload) in [("rm/a", "a1"), ("rm/b", "b1"), ("rm/a", "a2"), ("other/c", "c")] {
                try await publisher.publish(topic, payload, retain: true)
            }
            try await publisher.expectAlive()
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub")
            _ = try await subscriber.subscribe([("rm/+", .atMostOnce)])
            let got = Set([try await subscriber.nextPublish(), try await subscriber.nextPublish()].map(\.payloadString))
            #expect(got == ["a2", "b1"])
            try await subscriber.expectSilence(for: .milliseconds(150))
        }
    }

    @Test("[MQTT-3.3.1-7] a retained QoS 0 message replaces the one retained before")
    func qos0RetainedReplaces() async throws {
        try await withConformanceBroker { broker in
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("rq/t", "old", qos: .atLeastOnce, retain: true, id: 1)
            try await publisher.expect(.puback(packetID: 1))
            try await publisher.publish("rq/t", "new", qos: .atMostOnce, retain: true)
            try await publisher.expectAlive()
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub")
            _ = try await subscriber.subscribe([("rq/t", .atLeastOnce)])
            let message = try await subscriber.nextPublish()
            #expect(message.payloadString == "new" && message.qos == .atMostOnce)
            try await subscriber.expectSilence(for: .milliseconds(150))
        }
    }

    @Test("[MQTT-3.3.1-9] a message sent to an established subscription has retain 0, even when published with retain 1")
    func establishedSubscriptionGetsRetain0() async throws {
        try await withConformanceBroker { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub")
            _ = try await subscriber.subscribe([("rl/#", .atMostOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("rl/t", "live", retain: true)
            let message = try await subscriber.nextPublish()
            #expect(message.payloadString == "live" && !message.retain)
        }
    }

    @Test("[MQTT-3.3.1-10] [MQTT-3.3.1-11] an empty retained message is delivered to subscribers, clears the topic, and is not stored")
    func emptyRetainedClears() async throws {
        try await withConformanceBroker { broker in
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("rc/t", "held", retain: true)
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub")
            _ = try await subscriber.subscribe([("rc/t", .atMostOnce)])
            #expect(try await subscriber.nextPublish().payloadString == "held")
            try await publisher.publish("rc/t", "", retain: true)
            let cleared = try await subscriber.nextPublish()
            #expect(cleared.payload.readableBytes == 0)
            let (late, _) = try await RawClient.connect(broker, clientID: "late")
            _ = try await late.subscribe([("rc/#", .atMostOnce)])
            try await late.expectSilence(for: .milliseconds(200))
        }
    }

    @Test("[MQTT-3.3.1-12] a PUBLISH with retain 0 neither stores, replaces nor removes the retained message")
    func retain0LeavesRetained() async throws {
        try await withConformanceBroker { broker in
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("r0/t", "kept", retain: true)
            try await publisher.publish("r0/t", "passing")
            try await publisher.publish("r0/t", "")
            try await publisher.publish("r0/u", "never-retained")
            try await publisher.expectAlive()
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub")
            _ = try await subscriber.subscribe([("r0/#", .atMostOnce)])
            let message = try await subscriber.nextPublish()
            #expect(message.payloadString == "kept" && message.topic == "r0/t")
            try await subscriber.expectSilence(for: .milliseconds(150))
        }
    }
}
