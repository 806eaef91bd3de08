import BrokerTestSupport
import MQTTCore
import Testing

@Suite struct BrokerSharedSubscriptionTests {
    @Test func eachMessageGoesToOneMemberAndBothMembersGetSome() async throws {
        try await withTestBroker { broker in
            let (a, _) = try await RawClient.connect(broker, clientID: "v2k-a")
            let (b, _) = try await RawClient.connect(broker, clientID: "v2k-b")
            _ = try await a.subscribe([("$share/group/+/attrs", .atLeastOnce)])
            _ = try await b.subscribe([("$share/group/+/attrs", .atLeastOnce)])
            try await Task.sleep(for: .milliseconds(100))
            let (device, _) = try await RawClient.connect(broker, clientID: "dev")
            for n in 1...20 { try await device.publish("admin:d\(n % 3)/attrs", "\(n)", qos: .atLeastOnce, id: UInt16(n)) }
            var received: [String: [String]] = ["a": [], "b": []]
            for (name, client) in [("a", a), ("b", b)] {
                while let event = try await client.next(timeout: .milliseconds(500)) {
                    guard case .packet(.publish(let message)) = event else { continue }
                    received[name]!.append(message.payloadString)
                    try await client.send(.puback(packetID: message.packetID!))
                }
            }
            let all = received["a"]! + received["b"]!
            #expect(all.count == 20 && Set(all).count == 20)
            #expect(received["a"]!.count >= 5 && received["b"]!.count >= 5)
        }
    }

    @Test func messagesInFlightToALeavingMemberGoToTheOtherMember() async throws {
        try await withTestBroker(limits: { $0.maxInflight = 5 }) { broker in
            let (leaving, _) = try await RawClient.connect(broker, clientID: "v2k-1")
            _ = try await leaving.subscribe([("$share/g/+/attrs", .atLeastOnce)])
            let (device, _) = try await RawClient.connect(broker, clientID: "dev")
            for n in 1...8 { try await device.publish("admin:d/attrs", "\(n)", qos: .atLeastOnce, id: UInt16(n)) }
            // The only member takes five in flight and queues three; it never acknowledges.
            for _ in 0..<5 { _ = try await leaving.nextPublish() }
            let (staying, _) = try await RawClient.connect(broker, clientID: "v2k-2")
            _ = try await staying.subscribe([("$share/g/+/attrs", .atLeastOnce)])
            try await Task.sleep(for: .milliseconds(100))
            await leaving.drop()
            var received: Set<String> = []
            while received.count < 8, let event = try await staying.next(timeout: .seconds(3)) {
                guard case .packet(.publish(let message)) = event else { continue }
                received.insert(message.payloadString)
                try await staying.send(.puback(packetID: message.packetID!))
            }
            #expect(received == Set((1...8).map(String.init)))
        }
    }

    @Test func invalidSharedFilterIsRefusedInTheSubAck() async throws {
        try await withTestBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "bad-share")
            #expect(try await client.subscribe([("$share//x", .atLeastOnce), ("$share/g/x", .atLeastOnce)]) == [.failure, .granted(.atLeastOnce)])
        }
    }
}
