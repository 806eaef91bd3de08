import Broker
import BrokerTestSupport
import Foundation
import MQTTAuthorization
import MQTTCore
import Testing

/// The acl-file is read again while the broker runs: new rules apply to open connections too,
/// and a file that does not parse leaves the rules in force.
@Suite struct BrokerACLReloadTests {
    private func withACLBroker(_ rules: String, _ body: (TestBroker, URL) async throws -> Void) async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("acl-reload-\(UUID().uuidString)")
        try rules.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let authorizer = try ACLFileAuthorizer(path: file.path)
        try await withTestBroker(
            configure: { configuration in
                configuration.authorization = .aclFile
                configuration.aclFile = file.path
                configuration.aclReloadIntervalMilliseconds = 100
            }, authorizer: authorizer
        ) { broker in try await body(broker, file) }
    }

    @Test func changedRulesDropSubscriptionsAndPublishRightsOfOpenConnections() async throws {
        try await withACLBroker("user u\ntopic readwrite a/#\nuser p\ntopic write #\n") { broker, file in
            let (reader, _) = try await RawClient.connect(broker, clientID: "reader", username: "u")
            #expect(try await reader.subscribe([("a/x", .atMostOnce)]) == [.granted(.atMostOnce)])
            let (publisher, _) = try await RawClient.connect(broker, clientID: "pub", username: "p")
            try await publisher.publish("a/x", "before", qos: .atMostOnce)
            #expect(try await reader.nextPublish().payloadString == "before")

            try "user u\ntopic readwrite b/#\nuser p\ntopic write #\n".write(to: file, atomically: true, encoding: .utf8)
            try await Task.sleep(for: .milliseconds(500))
            try await publisher.publish("a/x", "after", qos: .atMostOnce)
            try await reader.expectSilence(for: .milliseconds(300))
            // The new grant works on the same connection, and the old one's PUBLISH is refused.
            #expect(try await reader.subscribe([("b/y", .atMostOnce)], id: 2) == [.granted(.atMostOnce)])
            try await reader.publish("a/x", "denied now", qos: .atLeastOnce, id: 3)
            try await reader.expectClosed()
        }
    }

    @Test func fileThatDoesNotParseLeavesTheRulesInForce() async throws {
        try await withACLBroker("topic read a/#\n") { broker, file in
            try "frobnicate a/#\n".write(to: file, atomically: true, encoding: .utf8)
            try await Task.sleep(for: .milliseconds(400))
            let (client, _) = try await RawClient.connect(broker, clientID: "c", username: "c")
            #expect(try await client.subscribe([("a/x", .atMostOnce), ("b/x", .atMostOnce)]) == [.granted(.atMostOnce), .failure])
        }
    }
}
