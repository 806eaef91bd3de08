import Foundation
import NIOCore
import Testing

@testable import MQTTCore

/// The client against a real mosquitto (Debian's 2.0.11), one broker per test. Serialized: the
/// keepalive and reconnect tests measure time, and two cores are all there is.
@Suite("MQTTClient integration", .serialized)
struct MQTTClientIntegrationTests {
    @Test func qos0MessageTravelsBetweenTwoClients() async throws {
        try await withTimeout {
            let broker = try await Mosquitto()
            let (subscriber, publisher) = (MQTTClient(configuration: .test(broker)), MQTTClient(configuration: .test(broker)))
            let inbox = Inbox(subscriber)
            try await subscriber.connect()
            try await publisher.connect()
            #expect(try await subscriber.subscribe(to: "a/b", qos: .atMostOnce) == .granted(.atMostOnce))
            try await publisher.publish(topic: "a/b", payload: ByteBuffer(string: "zero"), qos: .atMostOnce)
            let message = try await inbox.next()
            #expect(message.topic == "a/b")
            #expect(message.payload.string == "zero")
            #expect(message.qos == .atMostOnce)
            #expect(message.packetID == nil)
            await subscriber.shutdown()
            await publisher.shutdown()
            await broker.stop()
        }
    }

    @Test func qos1PublishCompletesOnPubAckAndIsReceivedOnce() async throws {
        try await withTimeout {
            let broker = try await Mosquitto()
            let (subscriber, publisher) = (MQTTClient(configuration: .test(broker)), MQTTClient(configuration: .test(broker)))
            let inbox = Inbox(subscriber)
            try await subscriber.connect()
            try await publisher.connect()
            #expect(try await subscriber.subscribe(to: "t/+", qos: .atLeastOnce) == .granted(.atLeastOnce))
            try await publisher.publish(topic: "t/1", payload: ByteBuffer(string: "one"), qos: .atLeastOnce, retain: false)
            let message = try await inbox.next()
            #expect(message.topic == "t/1" && message.payload.string == "one")
            #expect(message.qos == .atLeastOnce && !message.dup && !message.retain)
            message.acknowledge()
            #expect(try await inbox.nothing(within: .milliseconds(300)) == nil)
            await subscriber.shutdown()
            await publisher.shutdown()
            await broker.stop()
        }
    }

    @Test func qos2MessageIsDeliveredExactlyOnce() async throws {
        try await withTimeout {
            let broker = try await Mosquitto()
            let (subscriber, publisher) = (MQTTClient(configuration: .test(broker)), MQTTClient(configuration: .test(broker)))
            let inbox = Inbox(subscriber)
            try await subscriber.connect()
            try await publisher.connect()
            try await subscriber.subscribe(to: "q2", qos: .exactlyOnce)
            try await publisher.publish(topic: "q2", payload: ByteBuffer(string: "two"), qos: .exactlyOnce)
            let message = try await inbox.next()
            #expect(message.qos == .exactlyOnce && message.payload.string == "two")
            message.acknowledge()
            message.acknowledge()  // a second acknowledgement changes nothing
            #expect(try await inbox.nothing(within: .milliseconds(300)) == nil)
            await subscriber.shutdown()
            await publisher.shutdown()
            await broker.stop()
        }
    }

    @Test func publishesBeyondTheInFlightWindowWaitAndAllComplete() async throws {
        try await withTimeout {
            let broker = try await Mosquitto()
            var configuration = MQTTClientConfiguration.test(broker)
            configuration.inflightWindow = 2
            let publisher = MQTTClient(configuration: configuration)
            let subscriber = MQTTClient(configuration: .test(broker))
            let inbox = Inbox(subscriber)
            try await subscriber.connect()
            try await subscriber.subscribe(to: "w", qos: .atLeastOnce)
            try await publisher.connect()
            let futures = (0..<50).map { i in
                publisher.publishFuture(topic: "w", payload: ByteBuffer(string: "\(i)"), qos: .atLeastOnce)
            }
            #expect(publisher.state.withLockedValue { $0.machine.outbound.inFlight.count } <= 2)
            for future in futures { try await future.get() }
            for i in 0..<50 {
                let message = try await inbox.next()
                #expect(message.payload.string == "\(i)")
                message.acknowledge()
            }
            await subscriber.shutdown()
            await publisher.shutdown()
            await broker.stop()
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
            try await run("/usr/bin/mosquitto_pub", [
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
            let broker = try await Mosquitto()
            var configuration = MQTTClientConfiguration.test(broker)
            configuration.inboundBuffer = (low: 1, high: 4)
            let subscriber = MQTTClient(configuration: configuration)
            let publisher = MQTTClient(configuration: .test(broker))
            try await subscriber.connect()
            try await subscriber.subscribe(to: "slow", qos: .atLeastOnce)
            try await publisher.connect()
            let count = 200
            let payload = ByteBuffer(repeating: UInt8(ascii: "x"), count: 4096)
            for i in 0..<count {
                var buffer = payload
                buffer.writeString("\(i)")
                publisher.publishFuture(topic: "slow", payload: buffer, qos: .atLeastOnce).whenComplete { _ in }
            }
            try await Task.sleep(for: .milliseconds(500))  // nobody reads: the buffer fills, reads pause
            var iterator = subscriber.messages.makeAsyncIterator()
            for i in 0..<count {
                guard let message = await iterator.next() else { throw TestFailure("messages ended") }
                #expect(message.payload.getString(at: 4096, length: message.payload.readableBytes - 4096) == "\(i)")
                message.acknowledge()
            }
            #expect(subscriber.isConnected)
            await subscriber.shutdown()
            await publisher.shutdown()
            await broker.stop()
        }
    }
}
