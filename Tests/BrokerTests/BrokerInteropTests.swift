import BrokerTestSupport
import MQTTCore
import TestSupport
import Testing

/// Third-party clients (Debian's mosquitto_pub / mosquitto_sub) at every QoS and both levels.
@Suite struct BrokerInteropTests {
    @Test(arguments: [("mqttv31", 0), ("mqttv31", 1), ("mqttv31", 2), ("mqttv311", 0), ("mqttv311", 1), ("mqttv311", 2)])
    func mosquittoClientsExchangeAMessage(version: String, qos: Int) async throws {
        try await withTestBroker { broker in
            let subscriber = try await MosquittoClients.startSubscriber(
                port: broker.port,
                arguments: [
                    "-V", version, "-q", "\(qos)", "-t", "admin:d1/#", "-C", "1", "-v", "-i", "sub-\(version)-\(qos)",
                ])
            try await Task.sleep(for: .milliseconds(400))
            let published = try await MosquittoClients.run(
                "mosquitto_pub",
                [
                    "-h", "127.0.0.1", "-p", "\(broker.port)", "-V", version, "-q", "\(qos)",
                    "-t", "admin:d1/attrs", "-m", "{\"temperature\":21}",
                ])
            #expect(published.status == 0, "\(published.output)")
            let output = try await MosquittoClients.finish(subscriber)
            #expect(output == "admin:d1/attrs {\"temperature\":21}\n")
        }
    }

    @Test func overlappingSubscriptionsDeliverOneCopyAtTheHighestQoS() async throws {
        try await withTestBroker { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "overlap")
            #expect(
                try await subscriber.subscribe([("a/+", .atMostOnce), ("a/#", .exactlyOnce), ("a/b", .atLeastOnce)]) == [
                    .granted(.atMostOnce), .granted(.exactlyOnce), .granted(.atLeastOnce),
                ])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("a/b", "one", qos: .exactlyOnce, id: 9)
            let received = try await subscriber.nextPublish()
            #expect(received.qos == .exactlyOnce && received.payloadString == "one")
            try await subscriber.expectSilence()
        }
    }

    @Test func leadingWildcardsDoNotMatchDollarTopics() async throws {
        try await withTestBroker { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "wild")
            _ = try await subscriber.subscribe([("#", .atMostOnce), ("+/status", .atMostOnce)])
            let (dollar, _) = try await RawClient.connect(broker, clientID: "dollar")
            _ = try await dollar.subscribe([("$SYS/#", .atMostOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("$SYS/status", "hidden")
            #expect(try await dollar.nextPublish().topic == "$SYS/status")
            try await subscriber.expectSilence()
        }
    }

    @Test func unsubscribeStopsDelivery() async throws {
        try await withTestBroker { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "unsub")
            _ = try await subscriber.subscribe([("t/1", .atLeastOnce)])
            try await subscriber.send(.unsubscribe(UnsubscribePacket(packetID: 2, filters: ["t/1"])))
            guard case .packet(.unsuback(2)) = try await subscriber.next() else { throw TestFailure("no UNSUBACK") }
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            try await publisher.publish("t/1", "x")
            try await subscriber.expectSilence()
        }
    }

    @Test func qos2IsDeliveredExactlyOnceWhenThePublisherRepeatsIt() async throws {
        try await withTestBroker { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "once-sub")
            _ = try await subscriber.subscribe([("q2", .exactlyOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "once-pub")
            try await publisher.publish("q2", "exactly", qos: .exactlyOnce, id: 5)
            guard case .packet(.pubrec(5)) = try await publisher.next() else { throw TestFailure("no PUBREC") }
            // The publisher did not see the PUBREC in time and sends the message again.
            try await publisher.publish("q2", "exactly", qos: .exactlyOnce, id: 5, dup: true)
            guard case .packet(.pubrec(5)) = try await publisher.next() else { throw TestFailure("no second PUBREC") }
            try await publisher.send(.pubrel(packetID: 5))
            guard case .packet(.pubcomp(5)) = try await publisher.next() else { throw TestFailure("no PUBCOMP") }
            let delivered = try await subscriber.nextPublish()
            #expect(delivered.qos == .exactlyOnce)
            try await subscriber.send(.pubrec(packetID: delivered.packetID!))
            guard case .packet(.pubrel(let id)) = try await subscriber.next() else { throw TestFailure("no PUBREL") }
            try await subscriber.send(.pubcomp(packetID: id))
            try await subscriber.expectSilence()
        }
    }
}
