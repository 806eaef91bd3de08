import MQTTAuthorization
import MQTTCore
import NIOCore
import Testing

/// The MQTT 3.1 (protocol name MQIsdp, level 3) differences the broker honours for 3.1 clients.
@Suite(.timeLimit(.minutes(1))) struct ConformanceMQTT31Tests {
    @Test("[MQTT31-1] protocol name MQIsdp at level 3 is accepted and serves publish and subscribe")
    func mqisdpAccepted() async throws {
        try await withConformanceBroker { broker in
            let (client, connack) = try await RawClient.connect(broker, clientID: "old", version: .v3_1)
            #expect(connack.returnCode == .accepted)
            _ = try await client.subscribe([("v31/t", .atLeastOnce)])
            try await client.publish("v31/t", "x", qos: .atLeastOnce, id: 1)
            var seen = 0
            while seen < 2 {
                switch try await client.nextPacket() {
                case .puback(1), .publish: seen += 1
                case let other: throw TestFailure("unexpected \(other)")
                }
            }
        }
    }

    @Test("[MQTT31-1] MQIsdp with level 4, or MQTT with level 3, gets CONNACK 0x01", arguments: [("MQIsdp", UInt8(4)), ("MQTT", UInt8(3))])
    func mismatchedNameAndLevel(_ name: String, _ level: UInt8) async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group, version: .v3_1)
            try await client.sendRaw(Wire.connect(name: name, level: level, payload: Wire.string("c")))
            #expect(try await client.nextConnAck().returnCode == .unacceptableProtocolVersion)
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT31-2] a 3.1 client id of 24 bytes gets CONNACK 0x02; 23 bytes are accepted")
    func clientIDOver23Bytes() async throws {
        try await withConformanceBroker { broker in
            let (ok, accepted) = try await RawClient.connect(broker, clientID: String(repeating: "a", count: 23), version: .v3_1)
            #expect(accepted.returnCode == .accepted)
            await ok.disconnect()
            let client = try await RawClient(port: broker.port, group: broker.group, version: .v3_1)
            try await client.send(.connect(ConnectPacket(protocolVersion: .v3_1, clientID: String(repeating: "a", count: 24))))
            #expect(try await client.nextConnAck().returnCode == .identifierRejected)
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT31-3] an empty 3.1 client id gets CONNACK 0x02, even with clean session")
    func emptyClientID() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group, version: .v3_1)
            try await client.send(.connect(ConnectPacket(protocolVersion: .v3_1, clientID: "", cleanSession: true)))
            #expect(try await client.nextConnAck().returnCode == .identifierRejected)
            try await client.expectClosedWithoutPackets()
        }
    }

    @Test("[MQTT31-4] a 3.1 CONNACK never sets the session-present bit, even for a resumed session")
    func noSessionPresent() async throws {
        try await withConformanceBroker { broker in
            let (first, _) = try await RawClient.connect(broker, clientID: "old", cleanSession: false, version: .v3_1)
            _ = try await first.subscribe([("v31/s", .atLeastOnce)])
            await first.disconnect()
            let (again, connack) = try await RawClient.connect(broker, clientID: "old", cleanSession: false, version: .v3_1)
            #expect(connack.returnCode == .accepted && !connack.sessionPresent)
            // The session was resumed all the same.
            try await again.publish("v31/s", "x")
            #expect(try await again.nextPublish().payloadString == "x")
        }
    }

    @Test("[MQTT31-5] a 3.1 client never gets SUBACK 0x80: a denied filter closes its connection instead",
          .disabled("violates MQTT 3.1: the broker answers a 3.1 client's denied filter with SUBACK 0x80, a code 3.1 does not define"))
    func noFailureCodeInSubAck() async throws {
        try await withConformanceBroker(authorizer: DojotAuthorizer()) { broker in
            let (device, _) = try await RawClient.connect(broker, clientID: "d1", username: "admin:d1", version: .v3_1)
            try await device.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: "admin:d2/config", qos: .atLeastOnce)])))
            switch try await device.next() {
            case .closed: break
            case .packet(.suback(let suback)): #expect(!suback.returnCodes.contains(.failure))
            case let other: throw TestFailure("unexpected \(String(describing: other))")
            }
        }
    }

    @Test("[MQTT31-6] a 3.1 CONNECT with a password but no user name is accepted, and DUP on a retried SUBSCRIBE is tolerated")
    func v31Leniencies() async throws {
        try await withConformanceBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group, version: .v3_1)
            try await client.sendRaw(Wire.connect(name: "MQIsdp", level: 3, flags: 0x42, payload: Wire.string("old") + Wire.string("pw")))
            #expect(try await client.nextConnAck().returnCode == .accepted)
            try await client.sendRaw(Wire.subscribe(packetID: 5, flags: 0x0A, filters: [(Array("v31/d".utf8), 1)]))
            try await client.expect(.suback(SubAckPacket(packetID: 5, returnCodes: [.granted(.atLeastOnce)])))
        }
    }
}
