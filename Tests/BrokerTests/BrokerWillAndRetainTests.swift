import BrokerTestSupport
import MQTTCore
import NIOCore
import TestSupport
import Testing

@Suite struct BrokerWillAndRetainTests {
    @Test func willIsPublishedWhenKeepaliveExpires() async throws {
        try await withTestBroker { broker in
            let (watcher, _) = try await RawClient.connect(broker, clientID: "watcher")
            _ = try await watcher.subscribe([("status/#", .atLeastOnce)])
            let (silent, _) = try await RawClient.connect(
                broker, clientID: "silent", keepAlive: 1,
                will: .init(topic: "status/silent", payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
            )
            // No PINGREQ: the broker closes after 1.5 x keepalive and publishes the will.
            try await silent.expectClosed(timeout: .seconds(10))
            let will = try await watcher.nextPublish()
            #expect(will.topic == "status/silent" && will.payloadString == "offline")
        }
    }

    @Test func pingsKeepAConnectionAlive() async throws {
        try await withTestBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "pinger", keepAlive: 1)
            for _ in 0..<4 {
                try await Task.sleep(for: .milliseconds(600))
                try await client.send(.pingreq)
                guard case .packet(.pingresp) = try await client.next() else { throw TestFailure("no PINGRESP") }
            }
        }
    }

    @Test func willIsPublishedOnUncleanCloseButNotAfterDisconnect() async throws {
        try await withTestBroker { broker in
            let (watcher, _) = try await RawClient.connect(broker, clientID: "watcher")
            _ = try await watcher.subscribe([("status/#", .atMostOnce)])
            let will = ConnectPacket.Will(topic: "status/d", payload: ByteBuffer(string: "lost"))
            let (polite, _) = try await RawClient.connect(broker, clientID: "polite", will: will)
            await polite.disconnect()
            try await watcher.expectSilence()
            let (rude, _) = try await RawClient.connect(broker, clientID: "rude", will: will)
            await rude.drop()
            #expect(try await watcher.nextPublish().payloadString == "lost")
        }
    }

    @Test func retainedMessageIsSetReplacedAndCleared() async throws {
        try await withTestBroker { broker in
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("r/1", "first", qos: .atLeastOnce, retain: true, id: 1)
            try await publisher.publish("r/1", "second", qos: .atLeastOnce, retain: true, id: 2)
            _ = try await publisher.next()
            _ = try await publisher.next()
            let (late, _) = try await RawClient.connect(broker, clientID: "late")
            _ = try await late.subscribe([("r/#", .atLeastOnce)])
            let retained = try await late.nextPublish()
            #expect(retained.retain && retained.payloadString == "second")
            // Live messages to an existing subscription carry retain = 0.
            try await publisher.publish("r/1", "", qos: .atLeastOnce, retain: true, id: 3)
            let cleared = try await late.nextPublish()
            #expect(!cleared.retain && cleared.payload.readableBytes == 0)
            let (later, _) = try await RawClient.connect(broker, clientID: "later")
            _ = try await later.subscribe([("r/#", .atLeastOnce)])
            try await later.expectSilence()
        }
    }

    @Test func retainedMessagesAreBoundedInCountAndBytes() async throws {
        try await withTestBroker(limits: {
            $0.maxRetainedMessages = 3
            $0.maxRetainedBytes = 1000
        }) { broker in
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            let (live, _) = try await RawClient.connect(broker, clientID: "live")
            _ = try await live.subscribe([("r/#", .atMostOnce)])
            for n in 1...5 { try await publisher.publish("r/\(n)", "m\(n)", retain: true) }
            // Too large for the byte bound: still delivered live, not retained.
            try await publisher.publish("r/1", String(repeating: "x", count: 1200), retain: true)
            for _ in 1...6 { _ = try await live.nextPublish() }
            let (late, _) = try await RawClient.connect(broker, clientID: "late")
            _ = try await late.subscribe([("r/#", .atMostOnce)])
            var retained: [String] = []
            for _ in 1...3 { retained.append(try await late.nextPublish().payloadString) }
            #expect(retained.sorted() == ["m1", "m2", "m3"])
            try await late.expectSilence()
            // Replacing and clearing work at the bound.
            try await publisher.publish("r/1", "", retain: true)
            try await publisher.publish("r/4", "m4", retain: true)
            let (last, _) = try await RawClient.connect(broker, clientID: "last")
            _ = try await last.subscribe([("r/#", .atMostOnce)])
            var now: [String] = []
            for _ in 1...3 { now.append(try await last.nextPublish().payloadString) }
            #expect(now.sorted() == ["m2", "m3", "m4"])
        }
    }
}
