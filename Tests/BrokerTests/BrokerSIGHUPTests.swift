import Foundation
import MQTTCore
import NIOPosix
import TestSupport
import Testing

/// The real broker process reads its acl-file again on SIGHUP, long before its reload interval.
@Suite struct BrokerSIGHUPTests {
    @Test func sighupAppliesANewACLFileAtOnce() async throws {
        let directory = try TemporaryDirectory.make(prefix: "broker-sighup")
        defer { try? FileManager.default.removeItem(at: directory) }
        let acl = directory.appendingPathComponent("acl")
        try "topic readwrite a/#\n".write(to: acl, atomically: true, encoding: .utf8)
        let broker = try await BrokerChild(
            dataDirectory: directory.appendingPathComponent("data").path,
            environment: [
                "BROKER_AUTHZ": "acl-file", "BROKER_ACL_FILE": acl.path, "BROKER_ACL_RELOAD_INTERVAL_MS": "3600000",
            ])
        defer { broker.stop() }
        let group = MultiThreadedEventLoopGroup.singleton

        func grantsB(_ n: Int) async throws -> Bool {
            let (client, _) = try await RawClient.connect(port: broker.port, group: group, clientID: "c\(n)", username: "u")
            let codes = try await client.subscribe([("b/x", .atMostOnce)])
            await client.disconnect()
            return codes == [.granted(.atMostOnce)]
        }

        #expect(try await !grantsB(0))
        try "topic readwrite b/#\n".write(to: acl, atomically: true, encoding: .utf8)
        // The interval is an hour: without the signal the old rules stay.
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await !grantsB(1))
        broker.signal(SIGHUP)
        var granted = false
        for n in 2..<50 where !granted {
            granted = try await grantsB(n)
            if !granted { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(granted, "the new acl-file was not in force within 5 s of SIGHUP")
    }
}
