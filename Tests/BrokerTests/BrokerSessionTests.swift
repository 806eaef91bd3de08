import BrokerTestSupport
import MQTTCore
import TestSupport
import Testing

@Suite struct BrokerSessionTests {
    @Test func sessionPresentOnlyForAResumedPersistentSession() async throws {
        try await withTestBroker { broker in
            let (first, ack1) = try await RawClient.connect(broker, clientID: "p1", cleanSession: false)
            #expect(ack1 == ConnAckPacket(sessionPresent: false, returnCode: .accepted))
            await first.disconnect()
            let (second, ack2) = try await RawClient.connect(broker, clientID: "p1", cleanSession: false)
            #expect(ack2.sessionPresent)
            await second.disconnect()
            let (_, ack3) = try await RawClient.connect(broker, clientID: "p1", cleanSession: true)
            #expect(!ack3.sessionPresent)
        }
    }

    @Test func unacknowledgedMessageIsRedeliveredWithDUPAfterReconnect() async throws {
        try await withTestBroker { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "redeliver", cleanSession: false)
            _ = try await subscriber.subscribe([("admin:d/config", .atLeastOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "k2v")
            try await publisher.publish("admin:d/config", "{\"on\":true}", qos: .atLeastOnce, id: 3)
            let first = try await subscriber.nextPublish()
            #expect(!first.dup)
            await subscriber.drop()  // no PUBACK
            let (again, ack) = try await RawClient.connect(broker, clientID: "redeliver", cleanSession: false)
            #expect(ack.sessionPresent)
            let second = try await again.nextPublish()
            #expect(second.dup && second.packetID == first.packetID && second.payloadString == "{\"on\":true}")
            try await again.send(.puback(packetID: second.packetID!))
            await again.disconnect()
            let (third, _) = try await RawClient.connect(broker, clientID: "redeliver", cleanSession: false)
            try await third.expectSilence()
        }
    }

    @Test func offlineQueueKeepsQoS1MessagesInOrderUpToItsLimit() async throws {
        try await withTestBroker(limits: {
            $0.maxQueued = 3
            $0.maxInflight = 2
        }) { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "offline", cleanSession: false)
            _ = try await subscriber.subscribe([("q/#", .atLeastOnce)])
            await subscriber.disconnect()
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            for n in 1...6 { try await publisher.publish("q/\(n)", "m\(n)", qos: .atLeastOnce, id: UInt16(n)) }
            try await publisher.publish("q/0", "qos0 is not kept offline")
            for _ in 1...6 { _ = try await publisher.next() }  // PUBACKs
            let (back, _) = try await RawClient.connect(broker, clientID: "offline", cleanSession: false)
            var received: [String] = []
            for _ in 0..<3 {
                let message = try await back.nextPublish()
                received.append(message.payloadString)
                try await back.send(.puback(packetID: message.packetID!))
            }
            // Only the newest three fit; the oldest were dropped.
            #expect(received == ["m4", "m5", "m6"])
            try await back.expectSilence()
        }
    }

    @Test func inflightWindowHoldsBackMessagesUntilAcknowledged() async throws {
        try await withTestBroker(limits: { $0.maxInflight = 2 }) { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "window")
            _ = try await subscriber.subscribe([("w", .atLeastOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            for n in 1...4 { try await publisher.publish("w", "\(n)", qos: .atLeastOnce, id: UInt16(n)) }
            let first = try await subscriber.nextPublish()
            let second = try await subscriber.nextPublish()
            try await subscriber.expectSilence()
            try await subscriber.send(.puback(packetID: first.packetID!))
            #expect(try await subscriber.nextPublish().payloadString == "3")
            try await subscriber.send(.puback(packetID: second.packetID!))
            #expect(try await subscriber.nextPublish().payloadString == "4")
        }
    }

    @Test func newConnectionWithTheSameClientIDTakesTheSessionOver() async throws {
        try await withTestBroker { broker in
            let (old, _) = try await RawClient.connect(broker, clientID: "twin", cleanSession: false, will: .init(topic: "will/twin", payload: .init(string: "gone")))
            _ = try await old.subscribe([("twin/in", .atLeastOnce)])
            let (watcher, _) = try await RawClient.connect(broker, clientID: "watcher")
            _ = try await watcher.subscribe([("will/#", .atMostOnce)])
            let (new, ack) = try await RawClient.connect(broker, clientID: "twin", cleanSession: false)
            #expect(ack.sessionPresent)
            try await old.expectClosed()
            // The subscription moved with the session; a takeover does not publish the will.
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("twin/in", "hello", qos: .atLeastOnce, id: 1)
            #expect(try await new.nextPublish().payloadString == "hello")
            try await watcher.expectSilence()
        }
    }

    @Test func emptyClientIDNeedsACleanSession() async throws {
        try await withTestBroker { broker in
            let (_, accepted) = try await RawClient.connect(broker, clientID: "", cleanSession: true)
            #expect(accepted.returnCode == .accepted)
            let (refusedClient, refused) = try await RawClient.connect(broker, clientID: "", cleanSession: false)
            #expect(refused.returnCode == .identifierRejected)
            try await refusedClient.expectClosed()
        }
    }
}

@Suite struct BrokerSessionExpiryTests {
    @Test func anAbandonedSharedMembersMessagesGoToTheLiveMemberWhenItsSessionExpires() async throws {
        try await withTestBroker(configure: { $0.sessionExpirySeconds = 1 }) { broker in
            // A replica that went away for good, while it was the group's only member.
            let (gone, _) = try await RawClient.connect(broker, clientID: "v2k-old", cleanSession: false)
            _ = try await gone.subscribe([("$share/g/+/attrs", .atLeastOnce)])
            await gone.drop()
            try await Task.sleep(for: .milliseconds(300))  // the broker notices the member left
            let (device, _) = try await RawClient.connect(broker, clientID: "dev")
            try await device.publish("admin:d/attrs", "kept", qos: .atLeastOnce, id: 1)
            // A new replica joins; the old session's message reaches it once that session expires,
            // and only its PUBACK acknowledges the device's PUBLISH (end to end).
            let (fresh, _) = try await RawClient.connect(broker, clientID: "v2k-new", cleanSession: false)
            _ = try await fresh.subscribe([("$share/g/+/attrs", .atLeastOnce)])
            let kept = try await fresh.nextPublish(timeout: .seconds(4))
            #expect(kept.payloadString == "kept")
            try await device.expectSilence()
            try await fresh.send(.puback(packetID: kept.packetID!))
            guard case .packet(.puback(1)) = try await device.next() else { throw TestFailure("no PUBACK for the device") }
            // And once expired (1 s after it left) the session is gone: reconnecting finds none.
            try await Task.sleep(for: .milliseconds(1200))
            let (_, ack) = try await RawClient.connect(broker, clientID: "v2k-old", cleanSession: false)
            #expect(!ack.sessionPresent)
        }
    }
}
