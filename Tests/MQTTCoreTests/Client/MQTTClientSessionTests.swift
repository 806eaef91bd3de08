import Foundation
import NIOCore
import TestSupport
import Testing

@testable import MQTTCore

extension MQTTClientIntegrationTests {
    @Test func unacknowledgedQoS1MessageIsRedeliveredAfterReconnect() async throws {
        try await withTimeout {
            let net = try await PubSub.start(
                subscribeTo: "r", qos: .atLeastOnce,
                subscriber: {
                    $0.clientID = "redelivery"
                    $0.cleanSession = false
                })
            try await net.publisher.publish(topic: "r", payload: ByteBuffer(string: "keep me"), qos: .atLeastOnce)

            let first = try await net.inbox.next()
            #expect(!first.dup)
            try await net.subscriber.disconnect()
            first.acknowledge()  // too late: its connection is gone, and nothing is sent
            #expect(try await net.subscriber.connect() == true)
            let again = try await net.inbox.next()
            #expect(again.payload.string == "keep me" && again.dup && again.qos == .atLeastOnce)
            again.acknowledge()

            try await net.subscriber.disconnect()
            try await net.subscriber.connect()
            #expect(try await net.inbox.nothing(within: .milliseconds(500)) == nil)
            await net.close()
        }
    }

    @Test func qos2MessageRedeliveredAfterReconnectReachesTheApplicationOnce() async throws {
        try await withTimeout {
            let net = try await PubSub.start(
                subscribeTo: "x", qos: .exactlyOnce,
                subscriber: {
                    $0.clientID = "exactly-once"
                    $0.cleanSession = false
                })
            try await net.publisher.publish(topic: "x", payload: ByteBuffer(string: "once"), qos: .exactlyOnce)

            let message = try await net.inbox.next()
            try await net.subscriber.disconnect()
            #expect(try await net.subscriber.connect() == true)
            // The broker sends the PUBLISH again (DUP); the client holds the identifier and drops it.
            #expect(try await net.inbox.nothing(within: .milliseconds(500)) == nil)
            #expect(net.broker.log.contains("Sending PUBLISH to exactly-once (d1, q2"))
            message.acknowledge()  // PUBREC on the new connection, PUBREL, PUBCOMP
            try await Task.sleep(for: .milliseconds(300))
            try await net.subscriber.disconnect()
            try await net.subscriber.connect()
            #expect(try await net.inbox.nothing(within: .milliseconds(500)) == nil)
            await net.close()
        }
    }

    @Test func reconnectsAfterBrokerRestartKeepingTheSession() async throws {
        try await withTimeout {
            let broker = try await Mosquitto(persistence: true)
            var configuration = MQTTClientConfiguration.test(broker, clientID: "survivor")
            configuration.cleanSession = false
            configuration.reconnect = MQTTReconnectPolicy(initialDelay: .milliseconds(600), maxDelay: .milliseconds(600), jitter: 0)
            let subscriber = MQTTClient(configuration: configuration)
            let events = EventLog(subscriber)
            let inbox = Inbox(subscriber)
            try await subscriber.connect()
            try await subscriber.subscribe(to: "queued", qos: .atLeastOnce)

            await broker.stop()
            _ = try await events.wait { if case .disconnected = $0 { true } else { false } }
            // Published while the broker is away: waits, then goes out after the reconnect.
            let pending = subscriber.publishFuture(topic: "queued", payload: ByteBuffer(string: "from me"), qos: .atLeastOnce)
            try await broker.start()
            let publisher = MQTTClient(configuration: .test(broker))
            try await publisher.connect()
            try await publisher.publish(topic: "queued", payload: ByteBuffer(string: "while away"), qos: .atLeastOnce)

            _ = try await events.wait(timeout: .seconds(8)) { if case .connected(sessionPresent: true) = $0 { true } else { false } }
            try await pending.get()
            var payloads: Set<String> = []
            for _ in 0..<2 {
                let message = try await inbox.next()
                payloads.insert(message.payload.string)
                message.acknowledge()
            }
            #expect(payloads == ["from me", "while away"])
            #expect(subscriber.isConnected)
            await subscriber.shutdown()
            await publisher.shutdown()
            await broker.stop()
        }
    }

    @Test func resubscribesWhenTheBrokerLostTheSession() async throws {
        try await withTimeout {
            let broker = try await Mosquitto()
            var configuration = MQTTClientConfiguration.test(broker, clientID: "forgotten")
            configuration.cleanSession = false
            configuration.reconnect = MQTTReconnectPolicy(initialDelay: .milliseconds(100), maxDelay: .milliseconds(200))
            let subscriber = MQTTClient(configuration: configuration)
            let events = EventLog(subscriber)
            let inbox = Inbox(subscriber)
            try await subscriber.connect()
            try await subscriber.subscribe(to: "again", qos: .atLeastOnce)
            try await broker.restart()  // no persistence: the session is gone
            _ = try await events.wait(timeout: .seconds(8)) { if case .connected(sessionPresent: false) = $0 { true } else { false } }
            try await Task.sleep(for: .milliseconds(200))  // the SUBSCRIBE goes out right after CONNACK
            let publisher = MQTTClient(configuration: .test(broker))
            try await publisher.connect()
            try await publisher.publish(topic: "again", payload: ByteBuffer(string: "back"), qos: .atLeastOnce)
            #expect(try await inbox.next().payload.string == "back")
            await subscriber.shutdown()
            await publisher.shutdown()
            await broker.stop()
        }
    }
}

extension MQTTClientIntegrationTests {
    @Test func inFlightQoS1PublishIsRetransmittedWithDupAfterReconnectAndCompletes() async throws {
        try await withTimeout {
            let net = try await PubSub.start(
                subscribeTo: "retry", qos: .atLeastOnce,
                publisher: {
                    $0.clientID = "retransmitter"
                    $0.cleanSession = false
                    $0.reconnect = MQTTReconnectPolicy(initialDelay: .milliseconds(100), maxDelay: .milliseconds(200))
                })
            let publisher = net.publisher
            // The PUBLISH leaves and the connection drops before its PUBACK can be read.
            let published = try await publisher.eventLoop.submit {
                let future = publisher.publishFuture(topic: "retry", payload: ByteBuffer(string: "again"), qos: .atLeastOnce)
                publisher.state.withLockedValue { $0.machine.connectedChannel }!.close(promise: nil)
                return future
            }.get()
            try await published.get()
            #expect(try await net.inbox.next().payload.string == "again")
            #expect(net.broker.log.contains("Received PUBLISH from retransmitter (d1, q1"))
            await net.close()
        }
    }
}
