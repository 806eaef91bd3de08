import Foundation
import MQTTCore
import NIOPosix
import TestSupport
import Testing

/// The real broker process with a data directory, killed with SIGKILL and started again on the
/// same directory: what it acknowledged is still there (BROKER_DATA_DIR).
@Suite(.serialized) struct BrokerCrashTests {
    let group = MultiThreadedEventLoopGroup.singleton

    func withCrashableBroker(environment: [String: String] = [:], _ body: (BrokerChild) async throws -> Void) async throws {
        let directory = try TemporaryDirectory.make(prefix: "broker-crash")
        defer { try? FileManager.default.removeItem(at: directory) }
        let broker = try await BrokerChild(dataDirectory: directory.appendingPathComponent("data").path, environment: environment)
        defer {
            broker.stop()
            try? FileManager.default.removeItem(atPath: broker.logFile)
        }
        try await body(broker)
    }

    func connect(_ broker: BrokerChild, _ clientID: String, cleanSession: Bool = false) async throws -> (RawClient, ConnAckPacket) {
        try await RawClient.connect(port: broker.port, group: self.group, clientID: clientID, cleanSession: cleanSession, username: clientID)
    }

    /// Publishes QoS 1 messages and waits for every PUBACK: the broker acknowledged all of them.
    func publishAcknowledged(_ client: RawClient, topic: String, count: Int, retain: Bool = false) async throws {
        for n in 0..<count {
            try await client.publish(topic, "m\(n)", qos: .atLeastOnce, retain: retain, id: UInt16(n + 1))
        }
        var acknowledged = Set<UInt16>()
        while acknowledged.count < count {
            guard case .packet(.puback(let id)) = try await client.next() else { throw TestFailure("expected PUBACKs, \(acknowledged.count) of \(count)") }
            acknowledged.insert(id)
        }
    }

    /// Takes `count` QoS 1 PUBLISHes, acknowledging each; their payloads in arrival order.
    func receiveAcknowledging(_ client: RawClient, count: Int) async throws -> [String] {
        var payloads: [String] = []
        for _ in 0..<count {
            let publish = try await client.nextPublish()
            payloads.append(String(buffer: publish.payload))
            try await client.send(.puback(packetID: publish.packetID!))
        }
        return payloads
    }

    @Test func configMessagesForAnOfflineDeviceSurviveSIGKILL() async throws {
        try await withCrashableBroker { broker in
            let (device, _) = try await connect(broker, "admin:d1")
            _ = try await device.subscribe([("admin:d1/config", .atLeastOnce)])
            await device.disconnect()
            let (k2v, _) = try await connect(broker, "k2v", cleanSession: true)
            try await publishAcknowledged(k2v, topic: "admin:d1/config", count: 100)
            try await broker.kill()
            try await broker.start()

            let (back, connack) = try await connect(broker, "admin:d1")
            #expect(connack.sessionPresent)
            #expect(try await receiveAcknowledging(back, count: 100) == (0..<100).map { "m\($0)" })
            try await back.expectSilence()
            // Delivered is gone from the store too: after another crash nothing comes again.
            try await Task.sleep(for: .milliseconds(200))
            try await broker.kill()
            try await broker.start()
            let (again, resumed) = try await connect(broker, "admin:d1")
            #expect(resumed.sessionPresent)
            try await again.expectSilence(for: .milliseconds(500))
        }
    }

    @Test func retainedMessagesSurviveSIGKILL() async throws {
        try await withCrashableBroker { broker in
            let (publisher, _) = try await connect(broker, "admin:p", cleanSession: true)
            try await publishAcknowledged(publisher, topic: "admin:p/config", count: 1, retain: true)
            try await broker.kill()
            try await broker.start()
            let (reader, _) = try await connect(broker, "admin:r", cleanSession: true)
            _ = try await reader.subscribe([("admin:p/config", .atLeastOnce)])
            let retained = try await reader.nextPublish()
            #expect(retained.retain && String(buffer: retained.payload) == "m0")

            // An empty retained message clears it, also on disk.
            let (clearer, _) = try await connect(broker, "admin:c", cleanSession: true)
            try await clearer.publish("admin:p/config", "", qos: .atLeastOnce, retain: true, id: 1)
            guard case .packet(.puback(1)) = try await clearer.next() else { throw TestFailure("no PUBACK for the clear") }
            try await broker.kill()
            try await broker.start()
            let (late, _) = try await connect(broker, "admin:l", cleanSession: true)
            _ = try await late.subscribe([("admin:p/config", .atLeastOnce)])
            try await late.expectSilence()
        }
    }

    /// After a restart, messages for a shared group whose member has not reconnected yet wait for
    /// it (its session and subscription were recovered); their publisher's PUBACK waits with them.
    @Test func sharedGroupMessagesAfterARestartWaitForTheMember() async throws {
        try await withCrashableBroker { broker in
            let (member, _) = try await connect(broker, "v2k-0")
            _ = try await member.subscribe([("$share/v2k/+/attrs", .atLeastOnce)])
            try await broker.kill()
            try await broker.start()
            let (device, _) = try await connect(broker, "admin:d2")
            try await device.publish("admin:d2/attrs", "after restart", qos: .atLeastOnce, id: 9)
            try await device.expectSilence(for: .milliseconds(500))
            let (back, connack) = try await connect(broker, "v2k-0")
            #expect(connack.sessionPresent)
            let copy = try await back.nextPublish()
            #expect(String(buffer: copy.payload) == "after restart")
            try await back.send(.puback(packetID: copy.packetID!))
            guard case .packet(.puback(9)) = try await device.next() else { throw TestFailure("the device got no PUBACK") }
        }
    }

    /// Without end-to-end acknowledgement the broker acknowledges a shared-group message itself,
    /// so it stores the copy for the member's persistent session first.
    @Test func withoutEndToEndAcknowledgementSharedCopiesAreStored() async throws {
        try await withCrashableBroker(environment: ["BROKER_END_TO_END_ACK": "false"]) { broker in
            let (member, _) = try await connect(broker, "v2k-0")
            _ = try await member.subscribe([("$share/v2k/+/attrs", .atLeastOnce)])
            await member.disconnect()
            let (device, _) = try await connect(broker, "admin:d3")
            try await publishAcknowledged(device, topic: "admin:d3/attrs", count: 10)
            try await broker.kill()
            try await broker.start()
            let (back, _) = try await connect(broker, "v2k-0")
            #expect(try await receiveAcknowledging(back, count: 10) == (0..<10).map { "m\($0)" })
        }
    }

    /// QoS 2 both ways across a crash: an outgoing message past PUBREC gets PUBREL (not a second
    /// PUBLISH), and an inbound one already routed is not routed again when its publisher resends it.
    @Test func qos2StateSurvivesSIGKILL() async throws {
        try await withCrashableBroker { broker in
            let (subscriber, _) = try await connect(broker, "admin:s")
            _ = try await subscriber.subscribe([("admin:s/config", .exactlyOnce), ("q2/#", .exactlyOnce)])
            let (publisher, _) = try await connect(broker, "admin:q")
            try await publisher.publish("admin:s/config", "once", qos: .exactlyOnce, id: 5)
            guard case .packet(.pubrec(5)) = try await publisher.next() else { throw TestFailure("no PUBREC") }
            let first = try await subscriber.nextPublish()
            try await subscriber.send(.pubrec(packetID: first.packetID!))
            guard case .packet(.pubrel(first.packetID!)) = try await subscriber.next() else { throw TestFailure("no PUBREL") }
            // A second one the subscriber has not seen acknowledged yet.
            try await publisher.publish("q2/x", "second", qos: .exactlyOnce, id: 6)
            guard case .packet(.pubrec(6)) = try await publisher.next() else { throw TestFailure("no PUBREC for 6") }
            _ = try await subscriber.nextPublish()
            try await Task.sleep(for: .milliseconds(200))
            try await broker.kill()
            try await broker.start()

            let (back, _) = try await connect(broker, "admin:s")
            guard case .packet(.pubrel(first.packetID!)) = try await back.next() else { throw TestFailure("expected PUBREL again") }
            let again = try await back.nextPublish()
            #expect(again.dup && String(buffer: again.payload) == "second")
            let (resender, _) = try await connect(broker, "admin:q")
            try await resender.publish("admin:s/config", "once", qos: .exactlyOnce, id: 5, dup: true)
            guard case .packet(.pubrec(5)) = try await resender.next() else { throw TestFailure("no PUBREC for the resend") }
            try await back.expectSilence()
        }
    }

    @Test func anUnusableDataDirectoryStopsStartUpNamingIt() async throws {
        let directory = try TemporaryDirectory.make(prefix: "broker-bad-store")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("data").path
        try "not a store".write(toFile: path, atomically: true, encoding: .utf8)
        let log = directory.appendingPathComponent("broker.log").path
        let process = try await ChildProcess.spawn(
            try BuiltProducts.path("broker"), [],
            environment: [
                "BROKER_BIND": "127.0.0.1", "BROKER_MQTT_PORT": "\(try await FreePort.find())", "BROKER_MQTTS_PORT": "0",
                "BROKER_HTTP_PORT": "\(try await FreePort.find())", "BROKER_DATA_DIR": path, "BROKER_AUTHZ": "none",
            ], logFile: log)
        let status = try await process.wait(timeout: .seconds(20))
        #expect(status != 0)
        let output = try String(contentsOfFile: log, encoding: .utf8)
        #expect(output.contains(path), "\(output)")
    }
}
