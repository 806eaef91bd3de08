import BrokerTestSupport
import MQTTCore
import Testing

@Suite struct BrokerShutdownTests {
    @Test func shutdownDeliversWhatIsQueuedAndTakesNoNewPublishes() async throws {
        try await withTestBroker(limits: { $0.maxInflight = 2 }) { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "slow")
            _ = try await subscriber.subscribe([("q", .atLeastOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub")
            for n in 1...10 { try await publisher.publish("q", "\(n)", qos: .atLeastOnce, id: UInt16(n)) }
            for _ in 1...10 { _ = try await publisher.next() }  // PUBACKs: all ten are queued now
            let stopping = Task { await broker.server.stop() }
            try await Task.sleep(for: .milliseconds(100))
            // During the drain a PUBLISH is not acknowledged: the connection closes instead.
            try await publisher.publish("q", "late", qos: .atLeastOnce, id: 11)
            try await publisher.expectClosed()
            var received: [String] = []
            while received.count < 10 {
                let message = try await subscriber.nextPublish()
                received.append(message.payloadString)
                try await Task.sleep(for: .milliseconds(20))  // a slow subscriber
                try await subscriber.send(.puback(packetID: message.packetID!))
            }
            #expect(received == (1...10).map(String.init))
            await stopping.value
            try await subscriber.expectClosed()
        }
    }
}
