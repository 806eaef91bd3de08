import Foundation
import NIOCore
import TestSupport
import Testing

@testable import MQTTCore

/// The client against a real mosquitto (Debian's 2.0.11), one broker per test. Serialized: the
/// keepalive and reconnect tests measure time, and two cores are all there is.
@Suite("MQTTClient integration", .serialized)
struct MQTTClientIntegrationTests {
    @Test func qos0MessageTravelsBetweenTwoClients() async throws {
        try await withTimeout {
            let net = try await PubSub.start(subscribeTo: "a/b", qos: .atMostOnce)
            #expect(net.granted == .granted(.atMostOnce))
            try await net.publisher.publish(topic: "a/b", payload: ByteBuffer(string: "zero"), qos: .atMostOnce)
            let message = try await net.inbox.next()
            #expect(message.topic == "a/b")
            #expect(message.payload.string == "zero")
            #expect(message.qos == .atMostOnce)
            #expect(message.packetID == nil)
            await net.close()
        }
    }

    @Test func qos1PublishCompletesOnPubAckAndIsReceivedOnce() async throws {
        try await withTimeout {
            let net = try await PubSub.start(subscribeTo: "t/+", qos: .atLeastOnce)
            #expect(net.granted == .granted(.atLeastOnce))
            try await net.publisher.publish(topic: "t/1", payload: ByteBuffer(string: "one"), qos: .atLeastOnce, retain: false)
            let message = try await net.inbox.next()
            #expect(message.topic == "t/1" && message.payload.string == "one")
            #expect(message.qos == .atLeastOnce && !message.dup && !message.retain)
            message.acknowledge()
            #expect(try await net.inbox.nothing(within: .milliseconds(300)) == nil)
            await net.close()
        }
    }

    @Test func qos2MessageIsDeliveredExactlyOnce() async throws {
        try await withTimeout {
            let net = try await PubSub.start(subscribeTo: "q2", qos: .exactlyOnce)
            try await net.publisher.publish(topic: "q2", payload: ByteBuffer(string: "two"), qos: .exactlyOnce)
            let message = try await net.inbox.next()
            #expect(message.qos == .exactlyOnce && message.payload.string == "two")
            message.acknowledge()
            message.acknowledge()  // a second acknowledgement changes nothing
            #expect(try await net.inbox.nothing(within: .milliseconds(300)) == nil)
            await net.close()
        }
    }

    @Test func publishesBeyondTheInFlightWindowWaitAndAllComplete() async throws {
        try await withTimeout {
            let net = try await PubSub.start(subscribeTo: "w", qos: .atLeastOnce, publisher: { $0.inflightWindow = 2 })
            let futures = (0..<50).map { i in
                net.publisher.publishFuture(topic: "w", payload: ByteBuffer(string: "\(i)"), qos: .atLeastOnce)
            }
            try await net.publisher.eventLoop.submit {
                #expect(net.publisher.state.withLockedValue { $0.machine.outbound.inFlight.count } <= 2)
            }.get()
            for future in futures { try await future.get() }
            for i in 0..<50 {
                let message = try await net.inbox.next()
                #expect(message.payload.string == "\(i)")
                message.acknowledge()
            }
            await net.close()
        }
    }

    @Test func mosquittoSubReceivesOurQoS1Publish() async throws {
        try await withTimeout {
            let broker = try await Mosquitto()
            let common = ["-h", "127.0.0.1", "-p", "\(broker.port)", "-V", "mqttv311", "-i", "third-party", "-c", "-q", "1", "-t", "to/peer"]
            // A persistent session first, so the message waits for mosquitto_sub whatever the timing.
            try await run("/usr/bin/mosquitto_sub", common + ["-E"])
            let publisher = MQTTClient(configuration: .test(broker))
            try await publisher.connect()
            try await publisher.publish(topic: "to/peer", payload: ByteBuffer(string: "hello peer"), qos: .atLeastOnce)
            let output = try await run("/usr/bin/mosquitto_sub", common + ["-C", "1", "-W", "5"])
            #expect(output == "hello peer\n")
            await publisher.shutdown()
            await broker.stop()
        }
    }

    @Test func mosquittoPubQoS2MessageReachesUs() async throws {
        try await withTimeout {
            let broker = try await Mosquitto()
            let subscriber = MQTTClient(configuration: .test(broker))
            let inbox = Inbox(subscriber)
            try await subscriber.connect()
            try await subscriber.subscribe(to: "from/peer", qos: .exactlyOnce)
            try await run(
                "/usr/bin/mosquitto_pub",
                [
                    "-h", "127.0.0.1", "-p", "\(broker.port)", "-V", "mqttv31", "-q", "2", "-t", "from/peer", "-m", "hi",
                ])
            let message = try await inbox.next()
            #expect(message.topic == "from/peer" && message.payload.string == "hi" && message.qos == .exactlyOnce)
            message.acknowledge()
            await subscriber.shutdown()
            await broker.stop()
        }
    }
}

extension MQTTClientIntegrationTests {
    @Test func slowConsumerGetsEveryMessageInOrderWhileReadsArePaused() async throws {
        try await withTimeout {
            let net = try await PubSub.start(subscribeTo: "slow", qos: .atLeastOnce, subscriber: { $0.inboundBuffer = (low: 1, high: 4) })
            let count = 200
            let padding = 4096
            for i in 0..<count {
                var payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: padding)
                payload.writeString("\(i)")
                net.publisher.publishFuture(topic: "slow", payload: payload, qos: .atLeastOnce).whenComplete { _ in }
            }
            try await Task.sleep(for: .milliseconds(500))  // nobody reads: the buffer fills, reads pause
            // The inbox is not used here: this test consumes `messages` itself, slowly.
            var iterator = net.subscriber.messages.makeAsyncIterator()
            for i in 0..<count {
                guard let message = await iterator.next() else { throw TestFailure("messages ended") }
                #expect(message.payload.getString(at: padding, length: message.payload.readableBytes - padding) == "\(i)")
                message.acknowledge()
            }
            #expect(net.subscriber.isConnected)
            await net.close()
        }
    }
}
