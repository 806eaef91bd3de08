import BrokerTestSupport
import MQTTAuthorization
import MQTTCore
import Synchronization
import Testing

/// A session belongs to the identity that made it (on the plain listener: the username): another
/// identity using the same client id neither resumes it, nor reads its messages, nor ends it.
@Suite struct BrokerSessionOwnershipTests {
    @Test func anotherIdentityWithTheSameClientIDGetsNeitherTheSessionNorItsMessages() async throws {
        try await withTestBroker { broker in
            let (victim, _) = try await RawClient.connect(broker, clientID: "b2", cleanSession: false, username: "admin:b2")
            _ = try await victim.subscribe([("admin:b2/config", .atLeastOnce)])
            await victim.disconnect()
            let (k2v, _) = try await RawClient.connect(broker, clientID: "k2v", username: "k2v-bridge")
            try await k2v.publish("admin:b2/config", "queued", qos: .atLeastOnce, id: 1)
            _ = try await k2v.next()  // PUBACK

            let (attacker, ack) = try await RawClient.connect(broker, clientID: "b2", cleanSession: false, username: "admin:a1998e")
            #expect(!ack.sessionPresent)
            try await attacker.expectSilence()

            let (back, backAck) = try await RawClient.connect(broker, clientID: "b2", cleanSession: false, username: "admin:b2")
            #expect(backAck.sessionPresent)
            #expect(try await back.nextPublish().payloadString == "queued")
            await back.disconnect()
            await attacker.disconnect()
        }
    }

    @Test func anotherIdentityWithTheSameClientIDDoesNotKickTheOwner() async throws {
        try await withTestBroker { broker in
            let (owner, _) = try await RawClient.connect(broker, clientID: "a1998e", cleanSession: false, username: "admin:a1998e")
            _ = try await owner.subscribe([("admin:a1998e/config", .atMostOnce)])
            let (other, otherAck) = try await RawClient.connect(broker, clientID: "a1998e", cleanSession: false, username: "other:a1998e")
            #expect(!otherAck.sessionPresent)
            _ = try await other.subscribe([("other:a1998e/config", .atMostOnce)])
            let (k2v, _) = try await RawClient.connect(broker, clientID: "k2v", username: "k2v-bridge")
            try await k2v.publish("admin:a1998e/config", "for admin")
            try await k2v.publish("other:a1998e/config", "for other")
            // Both still connected, each with its own messages only.
            #expect(try await owner.nextPublish().payloadString == "for admin")
            #expect(try await other.nextPublish().payloadString == "for other")
            try await owner.expectSilence()
            try await other.expectSilence()
            await owner.disconnect()
            await other.disconnect()
        }
    }

    @Test func theBridgesSharedGroupSessionIsNotInheritedByADevice() async throws {
        try await withTestBroker { broker in
            let (bridge, _) = try await RawClient.connect(broker, clientID: "v2k-pod-0", cleanSession: false, username: "v2k-bridge")
            _ = try await bridge.subscribe([("$share/v2k/+/attrs", .atLeastOnce)])
            await bridge.drop()
            let (attacker, ack) = try await RawClient.connect(broker, clientID: "v2k-pod-0", cleanSession: false, username: "admin:a1998e")
            #expect(!ack.sessionPresent)
            let (device, _) = try await RawClient.connect(broker, clientID: "d", username: "other:d")
            try await device.publish("other:d/attrs", "{\"t\":1}", qos: .atLeastOnce, id: 1)
            _ = try await device.next()
            try await attacker.expectSilence()
            // The bridge itself gets what waited for the group.
            let (back, backAck) = try await RawClient.connect(broker, clientID: "v2k-pod-0", cleanSession: false, username: "v2k-bridge")
            #expect(backAck.sessionPresent)
            #expect(try await back.nextPublish().topic == "other:d/attrs")
            await back.disconnect()
            await attacker.disconnect()
        }
    }

    @Test func aResumedSessionKeepsOnlyTheSubscriptionsItsIdentityMayStillHave() async throws {
        let rights = RevocableRights()
        try await withTestBroker(authorizer: rights) { broker in
            let (first, _) = try await RawClient.connect(broker, clientID: "s", cleanSession: false, username: "admin:s")
            #expect(try await first.subscribe([("secret/#", .atMostOnce), ("open/#", .atMostOnce)]) == [.granted(.atMostOnce), .granted(.atMostOnce)])
            await first.disconnect()
            rights.secretAllowed.store(false, ordering: .relaxed)
            let (again, ack) = try await RawClient.connect(broker, clientID: "s", cleanSession: false, username: "admin:s")
            #expect(ack.sessionPresent)
            let (publisher, _) = try await RawClient.connect(broker, clientID: "p", username: "p")
            try await publisher.publish("secret/x", "must not arrive")
            try await publisher.publish("open/x", "may arrive")
            #expect(try await again.nextPublish().payloadString == "may arrive")
            try await again.expectSilence()
            await again.disconnect()
        }
    }

    @Test func oneIdentityHoldsABoundedNumberOfSessions() async throws {
        try await withTestBroker(limits: { $0.maxSessionsPerIdentity = 3 }) { broker in
            // Three offline persistent sessions; the fourth replaces the oldest.
            for n in 1...3 {
                let (client, _) = try await RawClient.connect(broker, clientID: "s\(n)", cleanSession: false, username: "admin:many")
                await client.disconnect()
            }
            let (fourth, ack) = try await RawClient.connect(broker, clientID: "s4", cleanSession: false, username: "admin:many")
            #expect(ack.returnCode == .accepted)
            try await Task.sleep(for: .milliseconds(100))
            let (first, firstAck) = try await RawClient.connect(broker, clientID: "s1", cleanSession: false, username: "admin:many")
            #expect(!firstAck.sessionPresent)  // s1 was the oldest: gone, and now s2 is
            let (third, thirdAck) = try await RawClient.connect(broker, clientID: "s3", cleanSession: false, username: "admin:many")
            #expect(thirdAck.sessionPresent)
            // All three held sessions online: a fifth persistent one is refused, another identity's
            // is not, and clean sessions (gone with their connection) do not count.
            let (_, refused) = try await RawClient.connect(broker, clientID: "s5", cleanSession: false, username: "admin:many")
            #expect(refused.returnCode == .serverUnavailable)
            var clean: [RawClient] = []
            for n in 1...5 {
                let (client, cleanAck) = try await RawClient.connect(broker, clientID: "c\(n)", cleanSession: true, username: "admin:many")
                #expect(cleanAck.returnCode == .accepted)
                clean.append(client)
            }
            for client in clean { await client.disconnect() }
            let (_, otherAck) = try await RawClient.connect(broker, clientID: "s5", cleanSession: false, username: "admin:other")
            #expect(otherAck.returnCode == .accepted)
            for client in [fourth, first, third] { await client.disconnect() }
        }
    }
}

/// Everything is allowed, except `secret/` filters once `secretAllowed` is false.
private final class RevocableRights: Authorizer {
    let secretAllowed = Atomic<Bool>(true)

    func authorizeConnect(_ client: ClientIdentity) -> ConnectVerdict { .allowed }

    func connectionPolicy(for client: ClientIdentity) -> any ConnectionPolicy {
        Policy(secretAllowed: self.secretAllowed.load(ordering: .relaxed))
    }

    private struct Policy: ConnectionPolicy {
        let secretAllowed: Bool
        func publishDecision(topic: String) -> AccessDecision { .allowed }
        func subscribeDecision(filter: String) -> AccessDecision {
            self.secretAllowed || !filter.hasPrefix("secret/") ? .allowed : .denied(.aclNoGrant)
        }
    }
}
