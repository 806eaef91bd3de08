import MQTTCore
import NIOConcurrencyHelpers

/// Retained messages, one per topic. Written by retained PUBLISHes from any loop and read when a
/// subscription is made: neither is on the per-message path of ordinary traffic, so a lock is fine.
final class RetainedStore: Sendable {
    private let messages = NIOLockedValueBox<[String: BrokerMessage]>([:])
    private let metrics: BrokerMetrics

    init(metrics: BrokerMetrics) { self.metrics = metrics }

    /// Sets the topic's retained message; an empty payload clears it.
    func store(_ message: BrokerMessage) {
        let count = self.messages.withLockedValue { messages in
            if message.payload.readableBytes == 0 {
                messages.removeValue(forKey: message.topic)
            } else {
                messages[message.topic] = message
            }
            return messages.count
        }
        self.metrics.retainedMessages.set(Double(count))
    }

    func matching(filter: String) -> [BrokerMessage] {
        self.messages.withLockedValue { messages in
            messages.values.filter { Topic.matches(filter: filter, topic: $0.topic) }
        }
    }
}
