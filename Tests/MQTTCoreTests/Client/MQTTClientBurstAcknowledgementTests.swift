import NIOCore
import Testing

@testable import MQTTCore

extension MQTTClientIntegrationTests {
    @Test func burstAcknowledgementAcknowledgesEveryMessageOnce() async throws {
        try await withTimeout {
            let net = try await PubSub.start(
                subscribeTo: "burst", qos: .atLeastOnce,
                subscriber: {
                    $0.clientID = "burst-ack"
                    $0.cleanSession = false
                })
            for n in 0..<3 {
                try await net.publisher.publish(topic: "burst", payload: ByteBuffer(string: "m\(n)"), qos: .atLeastOnce)
            }
            var messages: [MQTTInboundMessage] = []
            for _ in 0..<3 { messages.append(try await net.inbox.next()) }
            // A repeated message in the burst is acknowledged once, like a repeated `acknowledge()`.
            net.subscriber.acknowledge(messages + [messages[0]])
            try await Task.sleep(for: .milliseconds(300))

            try await net.subscriber.disconnect()
            #expect(try await net.subscriber.connect() == true)
            #expect(try await net.inbox.nothing(within: .milliseconds(500)) == nil)
            await net.close()
        }
    }
}
