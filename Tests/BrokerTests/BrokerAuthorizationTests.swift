import BrokerTestSupport
import Foundation
import MQTTAuthorization
import MQTTCore
import TestSupport
import Testing

/// The authorization modes as clients see them on the plain listener.
@Suite struct BrokerAuthorizationTests {
    let dojot = DojotAuthorizer()

    @Test func deviceSubscribesOnlyToItsOwnConfig() async throws {
        try await withTestBroker(authorizer: self.dojot) { broker in
            let (device, _) = try await RawClient.connect(broker, clientID: "d1", username: "admin:d1")
            let codes = try await device.subscribe([
                ("admin:d1/config", .atLeastOnce), ("admin:d2/config", .atLeastOnce), ("admin:d1/attrs", .atLeastOnce),
                ("+/config", .atLeastOnce), ("$share/g/admin:d1/config", .atLeastOnce), ("#", .atMostOnce),
            ])
            #expect(codes == [.granted(.atLeastOnce), .failure, .failure, .failure, .failure, .failure])
        }
    }

    @Test func devicePublishesToItsOwnAttrs() async throws {
        try await withTestBroker(authorizer: self.dojot) { broker in
            let (device, _) = try await RawClient.connect(broker, clientID: "d1", username: "admin:d1")
            try await device.publish("admin:d1/attrs", "{\"t\":1}", qos: .atLeastOnce, id: 1)
            guard case .packet(.puback(1)) = try await device.next() else { throw TestFailure("no PUBACK") }
        }
    }

    @Test(arguments: ["admin:d2/attrs", "admin:d1/config", "admin:d1/attrs/x", "other/attrs"])
    func deniedPublishClosesTheConnection(_ topic: String) async throws {
        try await withTestBroker(authorizer: self.dojot) { broker in
            let (device, _) = try await RawClient.connect(broker, clientID: "d1", username: "admin:d1")
            try await device.publish(topic, "{}", qos: .atLeastOnce, id: 1)
            try await device.expectClosed()
        }
    }

    @Test(arguments: ["v2k-bridge", "k2v-bridge", "v2k-bridge-7f9c"])
    func serviceIdentitiesAreRefusedOnThePlainListener(_ username: String) async throws {
        try await withTestBroker(authorizer: self.dojot) { broker in
            let (client, ack) = try await RawClient.connect(broker, clientID: username, username: username)
            #expect(ack.returnCode == .notAuthorized)
            try await client.expectClosed()
        }
    }

    @Test func connectionWithoutIdentityIsRefused() async throws {
        try await withTestBroker(authorizer: self.dojot) { broker in
            let (_, ack) = try await RawClient.connect(broker, clientID: "anonymous")
            #expect(ack.returnCode == .notAuthorized)
        }
    }

    @Test func aclFileGrantsAndDenies() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("acl-\(UUID().uuidString)")
        try """
        # everyone may read the broadcast topic
        topic read broadcast/#
        user alice
        topic readwrite alice/#
        topic deny alice/secret
        pattern write devices/%u/attrs
        """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let authorizer = try ACLFileAuthorizer(path: file.path)
        try await withTestBroker(authorizer: authorizer) { broker in
            let (alice, _) = try await RawClient.connect(broker, clientID: "a", username: "alice")
            #expect(
                try await alice.subscribe([("alice/inbox", .atLeastOnce), ("alice/#", .atLeastOnce), ("broadcast/news", .atMostOnce), ("bob/inbox", .atMostOnce)])
                    == [.granted(.atLeastOnce), .granted(.atLeastOnce), .granted(.atMostOnce), .failure])
            try await alice.publish("devices/alice/attrs", "ok", qos: .atLeastOnce, id: 1)
            guard case .packet(.puback(1)) = try await alice.next() else { throw TestFailure("no PUBACK") }
            try await alice.publish("alice/secret", "no", qos: .atLeastOnce, id: 2)
            try await alice.expectClosed()
            let (bob, _) = try await RawClient.connect(broker, clientID: "b", username: "bob")
            try await bob.publish("devices/alice/attrs", "spoof", qos: .atLeastOnce, id: 1)
            try await bob.expectClosed()
        }
    }

    /// The third-party 3.1.1 suite's case: `#` with one denied topic is granted and the denied
    /// topic's messages (live and retained) never arrive; a filter wholly inside the deny gets 0x80.
    @Test func denyRuleFiltersDeliveriesInsteadOfRefusingWildcards() async throws {
        let authorizer = try ACLFileAuthorizer(
            contents: "user p\ntopic readwrite #\nuser s\ntopic read #\ntopic deny test/nosubscribe\ntopic deny secret/#\n", path: "test.acl")
        try await withTestBroker(authorizer: authorizer) { broker in
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub", username: "p")
            try await publisher.publish("open/retained", "r1", qos: .atLeastOnce, retain: true, id: 1)
            guard case .packet(.puback(1)) = try await publisher.next() else { throw TestFailure("no PUBACK") }
            let (subscriber, _) = try await RawClient.connect(broker, clientID: "sub", username: "s")
            #expect(
                try await subscriber.subscribe([("#", .atLeastOnce), ("+/+", .atMostOnce), ("test/nosubscribe", .atMostOnce), ("secret/+", .atMostOnce)])
                    == [.granted(.atLeastOnce), .granted(.atMostOnce), .failure, .failure])
            // p may publish everywhere; s never receives what is denied to s.
            try await publisher.publish("secret/a", "no", qos: .atMostOnce)
            try await publisher.publish("test/nosubscribe", "no", qos: .atMostOnce)
            try await publisher.publish("open/live", "yes", qos: .atMostOnce)
            var received: [String] = []
            while case .packet(.publish(let publish)) = try await subscriber.next(timeout: .milliseconds(500)) {
                received.append(publish.retain ? "retained \(publish.topic)" : publish.topic)
            }
            // The retained message once per matching filter (# and +/+), the live one once.
            #expect(received.sorted() == ["open/live", "retained open/retained", "retained open/retained"])
        }
    }

    @Test func deviceConnectionEndsWhenItsLifetimeIsOverButAServiceStays() async throws {
        try await withTestBroker(configure: { $0.deviceLifetimeMilliseconds = 400 }) { broker in
            let start = ContinuousClock.now
            let (device, _) = try await RawClient.connect(broker, clientID: "d1", username: "admin:d1")
            let (service, _) = try await RawClient.connect(broker, clientID: "svc", username: "some-service")
            try await device.expectClosed(timeout: .seconds(3))
            // The lifetime counts from CONNECT, which came after `start`.
            #expect(ContinuousClock.now - start >= .milliseconds(400))
            try await service.send(.pingreq)
            guard case .packet(.pingresp) = try await service.next() else { throw TestFailure("service was closed") }
        }
    }
}
