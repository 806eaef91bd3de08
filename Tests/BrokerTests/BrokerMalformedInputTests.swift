import BrokerTestSupport
import MQTTCore
import NIOCore
import TestSupport
import Testing

/// Bad input closes that one connection; the broker keeps serving everyone else.
@Suite struct BrokerMalformedInputTests {
    @Test func garbageBytesCloseTheConnectionOnly() async throws {
        try await withTestBroker { broker in
            let (bystander, _) = try await RawClient.connect(broker, clientID: "bystander")
            let garbage = try await RawClient(port: broker.port, group: broker.group)
            try await garbage.sendRaw([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x13, 0x37])
            try await garbage.expectClosed()
            try await bystander.send(.pingreq)
            guard case .packet(.pingresp) = try await bystander.next() else { throw TestFailure("bystander lost") }
        }
    }

    @Test func oversizePacketClosesTheConnection() async throws {
        try await withTestBroker(limits: { $0.maxPacketBytes = 1024 }) { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "big")
            try await client.publish("t", String(repeating: "x", count: 2000))
            try await client.expectClosed()
        }
    }

    @Test func firstPacketOtherThanConnectClosesTheConnection() async throws {
        try await withTestBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.send(.pingreq)
            try await client.expectClosed()
        }
    }

    @Test func secondConnectClosesTheConnection() async throws {
        try await withTestBroker { broker in
            let (client, _) = try await RawClient.connect(broker, clientID: "twice")
            try await client.send(.connect(ConnectPacket(clientID: "twice")))
            try await client.expectClosed()
        }
    }

    @Test func unsupportedProtocolLevelGetsConnAck1ThenClose() async throws {
        try await withTestBroker { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            // CONNECT "MQTT" level 5.
            try await client.sendRaw([0x10, 0x0D, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x05, 0x02, 0x00, 0x3C, 0x00, 0x01, 0x61])
            guard case .packet(.connack(let connack)) = try await client.next() else { throw TestFailure("no CONNACK") }
            #expect(connack.returnCode == .unacceptableProtocolVersion)
            try await client.expectClosed()
        }
    }

    @Test func silentSocketIsClosedAfterTheConnectTimeout() async throws {
        try await withTestBroker(limits: { $0.connectTimeoutMilliseconds = 300 }) { broker in
            let client = try await RawClient(port: broker.port, group: broker.group)
            try await client.expectClosed(timeout: .seconds(3))
        }
    }

    @Test func connectionsBeyondTheLimitAreRefused() async throws {
        try await withTestBroker(limits: { $0.maxConnections = 2 }) { broker in
            let (_, _) = try await RawClient.connect(broker, clientID: "one")
            let (_, _) = try await RawClient.connect(broker, clientID: "two")
            let third = try await RawClient(port: broker.port, group: broker.group)
            try await third.expectClosed()
        }
    }

    @Test func largeFirstPacketIsClosedAtItsHeaderButLaterPacketsMayBeLarge() async throws {
        try await withTestBroker { broker in
            // A CONNECT announcing 175 KB, of which only the header comes: nothing is buffered for it.
            let stranger = try await RawClient(port: broker.port, group: broker.group)
            try await stranger.sendRaw([0x10] + Wire.remainingLength(175_000) + Array(repeating: 0, count: 1000))
            try await stranger.expectClosed(timeout: .seconds(1))
            // After CONNECT the packet limit applies: a 100 KB PUBLISH is fine.
            let (client, connack) = try await RawClient.connect(broker, clientID: "big")
            #expect(connack.returnCode == .accepted)
            try await client.publish("big/topic", String(repeating: "x", count: 100_000), qos: .atLeastOnce, id: 7)
            guard case .packet(.puback(let puback)) = try await client.next() else { throw TestFailure("no PUBACK for a 100 KB PUBLISH") }
            #expect(puback == 7)
        }
    }

    @Test func connectionsBeyondThePerAddressCapAreRefused() async throws {
        try await withTestBroker(limits: { $0.maxConnectionsPerAddress = 2 }) { broker in
            let (first, _) = try await RawClient.connect(broker, clientID: "one")
            let (_, _) = try await RawClient.connect(broker, clientID: "two")
            let third = try await RawClient(port: broker.port, group: broker.group)
            try await third.expectClosed()
            // A closed connection frees its place.
            await first.disconnect()
            try await Task.sleep(for: .milliseconds(200))
            let (_, connack) = try await RawClient.connect(broker, clientID: "three")
            #expect(connack.returnCode == .accepted)
        }
    }
}
