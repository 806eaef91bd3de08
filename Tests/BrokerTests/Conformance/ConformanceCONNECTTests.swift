import MQTTCore
import NIOCore
import Testing

/// MQTT 3.1.1 section 3.1 (CONNECT) and 3.2 (CONNACK), as the broker honours them, over real sockets.
@Suite(.timeLimit(.minutes(1))) struct ConformanceCONNECTTests {
    @Test("[MQTT-3.1.0-1] [MQTT-4.8.0-1] a first packet other than CONNECT closes the connection unanswered")
    func firstPacketMustBeConnect() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: "a", qos: .atMostOnce)])))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.1.0-2] a second CONNECT is a protocol violation and closes the connection")
    func secondConnectCloses() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "twice")
            try await client.send(.connect(ConnectPacket(clientID: "twice")))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.1.2-1] a CONNECT with an unknown protocol name is closed without a CONNACK")
    func wrongProtocolNameCloses() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(name: "MQTX", payload: Wire.string("c")))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.1.2-2] an unsupported protocol level gets CONNACK 0x01, then the close")
    func unsupportedLevelGetsConnAck1() async throws {
        try await withConformanceBroker { broker in
            for level: UInt8 in [2, 5] {
                let client = try await RawClient(port: broker.port, group: broker.group)
                try await client.sendRaw(Wire.connect(level: level, payload: Wire.string("c")))
                let connack = try await client.nextConnAck()
                #expect(connack.returnCode == .unacceptableProtocolVersion)
                #expect(!connack.sessionPresent)
                try await client.expectClosedWithoutPackets()
            }
        }
    }

    @Test("[MQTT-3.1.2-3] [MQTT-3.1.4-1] [MQTT-3.2.2-6] a set reserved CONNECT flag closes the connection without a CONNACK")
    func reservedConnectFlagCloses() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(flags: 0x03, payload: Wire.string("c")))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.1.2-4] [MQTT-3.1.4-3] [MQTT-3.1.3-2] clean session 0 resumes the client id's session: its subscription is still there")
    func persistentSessionResumes() async throws {
        try await withConformanceBroker { broker in
            let (first, connack) = try await RawClient.connect(broker, clientID: "keeper", cleanSession: false)
            #expect(!connack.sessionPresent)
            _ = try await first.subscribe([("keep/#", .atLeastOnce)])
            await first.disconnect()
            let (again, resumed) = try await RawClient.connect(broker, clientID: "keeper", cleanSession: false)
            #expect(resumed.sessionPresent)
            // Another client id has a session of its own, without the subscription.
            let (other, otherAck) = try await RawClient.connect(broker, clientID: "keeper2", cleanSession: false)
            #expect(!otherAck.sessionPresent)
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("keep/a", "x", qos: .atLeastOnce, id: 3)
            try await publisher.expect(.puback(packetID: 3))
            let message = try await again.nextPublish()
            #expect(message.topic == "keep/a" && message.payloadString == "x")
            try await other.expectSilence(for: .milliseconds(200))
        }
    }

    @Test("[MQTT-3.1.2-5] [MQTT-4.5.0-1] QoS 1 and 2 messages published while a persistent session is offline are kept for it; QoS 0 ones need not be")
    func offlineSessionKeepsQoS1And2() async throws {
        try await withConformanceBroker { broker in
            let (first, _) = try await RawClient.connect(broker, clientID: "away", cleanSession: false)
            _ = try await first.subscribe([("away/#", .exactlyOnce)])
            await first.disconnect()
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("away/1", "one", qos: .atLeastOnce, id: 1)
            try await publisher.expect(.puback(packetID: 1))
            try await publisher.publish("away/2", "two", qos: .exactlyOnce, id: 2)
            try await publisher.expect(.pubrec(packetID: 2))
            try await publisher.send(.pubrel(packetID: 2))
            try await publisher.expect(.pubcomp(packetID: 2))
            let (back, _) = try await RawClient.connect(broker, clientID: "away", cleanSession: false)
            let one = try await back.nextPublish()
            let two = try await back.nextPublish()
            #expect(one.topic == "away/1" && one.qos == .atLeastOnce)
            #expect(two.topic == "away/2" && two.qos == .exactlyOnce)
        }
    }

    @Test("[MQTT-3.1.2-6] [MQTT-3.2.2-1] clean session 1 discards the stored session: no subscription, session present 0, nothing kept after")
    func cleanSessionDiscards() async throws {
        try await withConformanceBroker { broker in
            let (first, _) = try await RawClient.connect(broker, clientID: "fresh", cleanSession: false)
            _ = try await first.subscribe([("fresh/#", .atLeastOnce)])
            await first.disconnect()
            let (clean, connack) = try await RawClient.connect(broker, clientID: "fresh", cleanSession: true)
            #expect(!connack.sessionPresent)
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("fresh/a", "x", qos: .atLeastOnce, id: 1)
            try await publisher.expect(.puback(packetID: 1))
            try await clean.expectSilence(for: .milliseconds(200))
            await clean.disconnect()
            // The clean session ended with its connection: a persistent connect finds nothing.
            let (later, laterAck) = try await RawClient.connect(broker, clientID: "fresh", cleanSession: false)
            #expect(!laterAck.sessionPresent)
            try await later.expectSilence(for: .milliseconds(200))
        }
    }

    @Test("[MQTT-3.1.2-7] a retained message outlives the session of its publisher")
    func retainedOutlivesSession() async throws {
        try await withConformanceBroker { broker in
            let (publisher, _) = try await RawClient.connect(broker, clientID: "p", cleanSession: true)
            try await publisher.publish("kept/t", "stays", qos: .atLeastOnce, retain: true, id: 1)
            try await publisher.expect(.puback(packetID: 1))
            await publisher.disconnect()
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "s")
            _ = try await subscriber.subscribe([("kept/t", .atLeastOnce)])
            let message = try await subscriber.nextPublish()
            #expect(message.payloadString == "stays" && message.retain)
        }
    }

    @Test("[MQTT-3.1.2-8] [MQTT-3.1.2-16] a will with retain 0 is published, not retained, when the connection drops")
    func willPublishedOnDrop() async throws {
        try await withConformanceBroker { broker in
            let (watcher, _) = try await RawClient.connect(broker, clientID: "w")
            _ = try await watcher.subscribe([("will/#", .atLeastOnce)])
            let (dying, _) = try await RawClient.connect(
                broker, clientID: "d", will: .init(topic: "will/d", payload: .text("gone"), qos: .atLeastOnce, retain: false)
            )
            await dying.drop()
            let will = try await watcher.nextPublish()
            #expect(will.topic == "will/d" && will.payloadString == "gone" && will.qos == .atLeastOnce && !will.retain)
            let (late, _) = try await RawClient.connect(broker, clientID: "late")
            _ = try await late.subscribe([("will/#", .atLeastOnce)])
            try await late.expectSilence(for: .milliseconds(200))
        }
    }

    @Test("[MQTT-3.1.2-17] [MQTT-3.1.2-9] a will with retain 1 is published as a retained message, at its will QoS")
    func retainedWill() async throws {
        try await withConformanceBroker { broker in
            let (dying, _) = try await RawClient.connect(
                broker, clientID: "d", will: .init(topic: "will/r", payload: .text("gone"), qos: .exactlyOnce, retain: true)
            )
            await dying.drop()
            try await Task.sleep(for: .milliseconds(100))
            let (late, _) = try await RawClient.connect(broker, clientID: "late")
            _ = try await late.subscribe([("will/r", .exactlyOnce)])
            let will = try await late.nextPublish()
            #expect(will.payloadString == "gone" && will.retain && will.qos == .exactlyOnce)
        }
    }

    @Test("[MQTT-3.1.2-10] [MQTT-3.14.4-3] a will is dropped by DISCONNECT and published at most once")
    func willRemovedAfterDisconnectOrPublish() async throws {
        try await withConformanceBroker { broker in
            let (watcher, _) = try await RawClient.connect(broker, clientID: "w")
            _ = try await watcher.subscribe([("will/#", .atMostOnce)])
            let will = ConnectPacket.Will(topic: "will/x", payload: .text("bye"))
            let (polite, _) = try await RawClient.connect(broker, clientID: "polite", will: will)
            await polite.disconnect()
            try await watcher.expectSilence(for: .milliseconds(200))
            // Dropped, then the same client id reconnects and leaves politely: one will, not two.
            let (rude, _) = try await RawClient.connect(broker, clientID: "rude", cleanSession: false, will: will)
            await rude.drop()
            #expect(try await watcher.nextPublish().payloadString == "bye")
            let (again, _) = try await RawClient.connect(broker, clientID: "rude", cleanSession: false)
            await again.disconnect()
            try await watcher.expectSilence(for: .milliseconds(200))
        }
    }

    @Test("[MQTT-3.1.2-12] without the will flag nothing is published when the connection drops")
    func noWillNoPublish() async throws {
        try await withConformanceBroker { broker in
            let (watcher, _) = try await RawClient.connect(broker, clientID: "w")
            _ = try await watcher.subscribe([("#", .atMostOnce)])
            let (dying, _) = try await RawClient.connect(broker, clientID: "d")
            await dying.drop()
            try await watcher.expectSilence(for: .milliseconds(300))
        }
    }

    @Test("[MQTT-3.1.2-9] [MQTT-3.1.4-1] a will flag without will topic and message in the payload closes the connection without a CONNACK")
    func willFlagWithoutWillFields() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(flags: 0x06, payload: Wire.string("c")))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test(
        "[MQTT-3.1.2-11] [MQTT-3.1.2-13] without the will flag, will QoS bits must be 0: QoS 1 or 2 closes the connection",
        arguments: [UInt8(0x0A), UInt8(0x12)])
    func willQoSWithoutWillFlag(_ flags: UInt8) async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(flags: flags, payload: Wire.string("c")))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.1.2-11] a will topic and message present without the will flag are trailing bytes: the connection closes")
    func willFieldsWithoutWillFlag() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(flags: 0x02, payload: Wire.string("c") + Wire.string("w/t") + Wire.string("m")))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.1.2-14] a will QoS of 3 closes the connection")
    func willQoS3() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(flags: 0x1E, payload: Wire.string("c") + Wire.string("w/t") + Wire.string("m")))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.1.2-15] will retain without the will flag closes the connection")
    func willRetainWithoutWillFlag() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(flags: 0x22, payload: Wire.string("c")))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test(
        "[MQTT-3.1.2-18] [MQTT-3.1.2-20] a user name or password present without its flag is refused: the connection closes",
        arguments: [
            (UInt8(0x02), Wire.string("c") + Wire.string("user")),
            (UInt8(0x82), Wire.string("c") + Wire.string("user") + Wire.string("secret")),
        ])
    func fieldsWithoutTheirFlags(_ flags: UInt8, _ payload: [UInt8]) async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(flags: flags, payload: payload))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test(
        "[MQTT-3.1.2-19] [MQTT-3.1.2-21] a user name or password flag without the field closes the connection",
        arguments: [
            (UInt8(0x82), Wire.string("c")),
            (UInt8(0xC2), Wire.string("c") + Wire.string("user")),
        ])
    func flagsWithoutTheirFields(_ flags: UInt8, _ payload: [UInt8]) async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(flags: flags, payload: payload))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.1.2-22] a password flag without the user name flag closes the connection")
    func passwordWithoutUserName() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(flags: 0x42, payload: Wire.string("c") + Wire.string("secret")))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.1.2-24] a connection silent for 1.5 x its keep alive is closed, not earlier")
    func keepAliveExpiry() async throws {
        try await withConformanceBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "quiet", keepAlive: 1)
            let start = ContinuousClock.now
            // Not at 1 s (the keep alive itself) ...
            try await client.expectSilence(for: .milliseconds(1200))
            // ... but soon after 1.5 s.
            try await client.expectClosed(timeout: .seconds(3))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(1450) && elapsed < .milliseconds(3500))
        }
    }

    @Test("[MQTT-3.1.3-1] [MQTT-3.1.2-9] a CONNECT with every payload field, in order, is accepted and its will is used")
    func fullPayloadInOrder() async throws {
        try await withConformanceBroker { broker in
            let (watcher, _) = try await RawClient.connect(broker, clientID: "w")
            _ = try await watcher.subscribe([("order/#", .atMostOnce)])
            let client = try await RawClient(port: broker.port, group: broker.group)
            let payload = Wire.string("ordered") + Wire.string("order/will") + Wire.string("w-msg") + Wire.string("user") + Wire.string("pw")
            try await client.sendRaw(Wire.connect(flags: 0xC6, payload: payload))
            #expect(try await client.nextConnAck().returnCode == .accepted)
            await client.drop()
            let will = try await watcher.nextPublish()
            #expect(will.topic == "order/will" && will.payloadString == "w-msg")
        }
    }

    @Test("[MQTT-3.1.3-3] a CONNECT without a client id closes the connection without a CONNACK")
    func missingClientID() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(payload: []))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test(
        "[MQTT-3.1.3-4] [MQTT-1.5.3-1] a client id that is not well-formed UTF-8 closes the connection",
        arguments: [Wire.surrogate, [0x61, 0xC3], [0xFF, 0x61]])
    func clientIDNotUTF8(_ bytes: [UInt8]) async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(payload: Wire.field(bytes)))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-1.5.3-2] [MQTT-4.7.3-2] a U+0000 in a client id or will topic closes the connection")
    func nullCharacterCloses() async throws {
        try await withConformanceBroker { broker in
            let first = try await RawClient(port: broker.port, group: broker.group)
            try await first.sendRaw(Wire.connect(payload: Wire.field([0x61, 0x00, 0x62])))
            try await first.expectClosedWithoutPackets()
            let second = try await RawClient(port: broker.port, group: broker.group)
            try await second.sendRaw(Wire.connect(flags: 0x06, payload: Wire.string("c") + Wire.field([0x61, 0x00]) + Wire.string("m")))
            try await second.expectClosedWithoutPackets()
        }
    }

    @Test(
        "[MQTT-3.1.3-5] client ids of 1 to 23 characters of 0-9a-zA-Z are accepted",
        arguments: ["a", "Z9", "abcdefghijklmnopqrstuvw", "0123456789ABCDEFGHIJKLM"])
    func shortAlphanumericClientIDs(_ clientID: String) async throws {
        try await withConformanceBroker { broker in
            let (client, connack) = try await RawClient.connect(broker, clientID: clientID, cleanSession: false)
            #expect(connack.returnCode == .accepted)
            try await client.expectAlive()
        }
    }

    @Test("[MQTT-3.1.3-6] empty client ids with clean session get distinct ids: two such clients do not take each other over")
    func emptyClientIDsAreDistinct() async throws {
        try await withConformanceBroker { broker in
            let (first, a) = try await RawClient.connect(broker, clientID: "", cleanSession: true)
            let (second, b) = try await RawClient.connect(broker, clientID: "", cleanSession: true)
            #expect(a.returnCode == .accepted && b.returnCode == .accepted)
            _ = try await first.subscribe([("anon/1", .atMostOnce)])
            _ = try await second.subscribe([("anon/2", .atMostOnce)])
            try await second.publish("anon/1", "to-first")
            #expect(try await first.nextPublish().payloadString == "to-first")
            try await first.expectAlive()
            try await second.expectAlive()
        }
    }

    @Test("[MQTT-3.1.3-8] [MQTT-3.2.2-4] [MQTT-3.2.2-5] an empty client id with clean session 0 gets CONNACK 0x02, session present 0, then the close")
    func emptyClientIDNeedsCleanSession() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.send(.connect(ConnectPacket(clientID: "", cleanSession: false)))
            let connack = try await client.nextConnAck()
            #expect(connack.returnCode == .identifierRejected && !connack.sessionPresent)
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.1.3-9] a client id the broker rejects (longer than its limit) gets CONNACK 0x02 and the close")
    func rejectedClientID() async throws {
        try await withConformanceBroker(limits: { $0.maxClientIDLength = 32 }) { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.send(.connect(ConnectPacket(clientID: String(repeating: "x", count: 33))))
            #expect(try await client.nextConnAck().returnCode == .identifierRejected)
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.1.3-10] [MQTT-1.5.3-1] a will topic that is not UTF-8 closes the connection")
    func willTopicNotUTF8() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(flags: 0x06, payload: Wire.string("c") + Wire.field(Wire.surrogate) + Wire.string("m")))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.1.3-11] [MQTT-1.5.3-1] a user name that is not UTF-8 closes the connection")
    func userNameNotUTF8() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.sendRaw(Wire.connect(flags: 0x82, payload: Wire.string("c") + Wire.field([0x75, 0xC0, 0x80])))
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT-3.1.4-2] a CONNECT with a connected client's id disconnects the earlier connection, whose will is not sent")
    func takeover() async throws {
        try await withConformanceBroker { broker in
            let (watcher, _) = try await RawClient.connect(broker, clientID: "w")
            _ = try await watcher.subscribe([("will/#", .atMostOnce)])
            let (old, _) = try await RawClient.connect(broker, clientID: "same", will: .init(topic: "will/same", payload: .text("x")))
            let (new, connack) = try await RawClient.connect(broker, clientID: "same")
            #expect(connack.returnCode == .accepted)
            try await old.expectClosed()
            try await new.expectAlive()
            try await watcher.expectSilence(for: .milliseconds(200))
        }
    }

    @Test("[MQTT-3.1.4-4] [MQTT-3.2.2-3] a valid CONNECT gets CONNACK 0 and, without a stored session, session present 0")
    func acceptedConnAck() async throws {
        try await withConformanceBroker { broker in
            for clean in [true, false] {
                let (client, connack) = try await RawClient.connect(broker, clientID: "new-\(clean)", cleanSession: clean)
                #expect(connack.returnCode == .accepted && !connack.sessionPresent)
                await client.disconnect()
            }
        }
    }

    @Test("[MQTT-3.1.4-5] packets sent after a refused CONNECT are not processed")
    func nothingProcessedAfterRefusal() async throws {
        try await withConformanceBroker { broker in
            let (watcher, _) = try await RawClient.connect(broker, clientID: "w")
            _ = try await watcher.subscribe([("refused/#", .atMostOnce)])
            let client = try await RawClient(port: broker.port, group: broker.group)
            // CONNECT refused (empty id, clean session 0) and a retained PUBLISH in the same write.
            let connect = Wire.connect(flags: 0x00, payload: Wire.string(""))
            let publish = Wire.publish(topic: Array("refused/t".utf8), flags: 0x01, payload: Array("no".utf8))
            try await client.sendRaw(connect + publish)
            #expect(try await client.nextConnAck().returnCode == .identifierRejected)
            try await client.expectClosedWithoutPackets()
            try await watcher.expectSilence(for: .milliseconds(200))
            let (late, _) = try await RawClient.connect(broker, clientID: "late")
            _ = try await late.subscribe([("refused/#", .atMostOnce)])
            try await late.expectSilence(for: .milliseconds(200))
        }
    }

    @Test("[MQTT-3.2.0-1] the first packet the broker sends is the CONNACK, even with messages waiting for the session")
    func connAckComesFirst() async throws {
        try await withConformanceBroker { broker in
            let (first, _) = try await RawClient.connect(broker, clientID: "queued", cleanSession: false)
            _ = try await first.subscribe([("q/#", .atLeastOnce)])
            await first.disconnect()
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            for id: UInt16 in 1...5 {
                try await publisher.publish("q/\(id)", "m", qos: .atLeastOnce, id: id)
                try await publisher.expect(.puback(packetID: id))
            }
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.send(.connect(ConnectPacket(clientID: "queued", cleanSession: false)))
            let connack = try await client.nextConnAck()
            #expect(connack.sessionPresent)
            for _ in 1...5 { _ = try await client.nextPublish() }
        }
    }

    @Test("[MQTT-3.2.2-2] clean session 0 with a stored session gets session present 1")
    func sessionPresentForStoredSession() async throws {
        try await withConformanceBroker { broker in
            let (first, _) = try await RawClient.connect(broker, clientID: "stored", cleanSession: false)
            await first.disconnect()
            let (_, connack) = try await RawClient.connect(broker, clientID: "stored", cleanSession: false)
            #expect(connack.returnCode == .accepted && connack.sessionPresent)
        }
    }

    @Test("[MQTT-3.2.2-4] [MQTT-3.2.2-5] a refused CONNECT for a client id with a stored session gets session present 0 and the close")
    func refusalHasNoSessionPresent() async throws {
        let authorizer = SwitchableAuthorizer()
        try await withConformanceBroker(authorizer: authorizer) { broker in
            let (first, _) = try await RawClient.connect(broker, clientID: "stored", cleanSession: false, username: "u")
            await first.disconnect()
            authorizer.refusing = true
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.send(.connect(ConnectPacket(clientID: "stored", cleanSession: false, username: "u")))
            let connack = try await client.nextConnAck()
            #expect(connack.returnCode != .accepted && !connack.sessionPresent)
            try await client.expectClosedWithoutPackets()
            // The session is still there for an accepted connect.
            authorizer.refusing = false
            let (_, again) = try await RawClient.connect(broker, clientID: "stored", cleanSession: false, username: "u")
            #expect(again.sessionPresent)
        }
    }
}
