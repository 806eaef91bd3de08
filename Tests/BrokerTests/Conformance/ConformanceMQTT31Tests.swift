import MQTTAuthorization
import MQTTCore
import NIOCore
import TestSupport
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

    @Test("[MQTT31-5] a 3.1 client never gets SUBACK 0x80: a refused filter is answered with its QoS and delivers nothing")
    func noFailureCodeInSubAck() async throws {
        let authorizer = try ACLFileAuthorizer(contents: "user p\ntopic readwrite #\nuser s\ntopic read open/#\n", path: "test.acl")
        try await withConformanceBroker(authorizer: authorizer) { broker in
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "s31", username: "s", version: .v3_1)
            #expect(try await subscriber.subscribe([("secret/a", .atLeastOnce), ("open/a", .atMostOnce)]) == [.granted(.atLeastOnce), .granted(.atMostOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "p", username: "p")
            try await publisher.publish("secret/a", "no", qos: .atMostOnce)
            try await publisher.publish("open/a", "yes", qos: .atMostOnce)
            guard case .packet(.publish(let publish)) = try await subscriber.next(timeout: .seconds(2)) else { throw TestFailure("no delivery on open/a") }
            #expect(publish.topic == "open/a")
            // A 3.1.1 client still gets 0x80 for the same filter.
            let (current, _) = try await RawClient.connect(broker, clientID: "s311", username: "s")
            #expect(try await current.subscribe([("secret/a", .atLeastOnce)]) == [.failure])
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
