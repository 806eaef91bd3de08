import MQTTCore
import NIOConcurrencyHelpers

/// Retained messages, one per topic. Written by retained PUBLISHes from any loop and read when a
/// subscription is made: neither is on the per-message path of ordinary traffic, so a lock is fine.
/// Bounded in count and bytes, so that retained PUBLISHes to ever new topics cannot fill memory.
final class RetainedStore: Sendable {
    private struct State {
        var messages: [String: BrokerMessage] = [:]
        var bytes = 0
    }

    private let state = NIOLockedValueBox(State())
    private let maxMessages: Int
    private let maxBytes: Int
    private let metrics: BrokerMetrics

    init(maxMessages: Int = .max, maxBytes: Int = .max, metrics: BrokerMetrics) {
        self.maxMessages = maxMessages
        self.maxBytes = maxBytes
        self.metrics = metrics
    }

    /// Sets the topic's retained message; an empty payload clears it. False when the message was
    /// not kept because a bound would be exceeded (the old one for the topic, if any, stays).
    @discardableResult
    func store(_ message: BrokerMessage) -> Bool {
        let (kept, count, bytes) = self.state.withLockedValue { state -> (Bool, Int, Int) in
            let previous = state.messages[message.topic]
            let previousBytes = previous.map(Self.size) ?? 0
            if message.payload.readableBytes == 0 {
                state.messages.removeValue(forKey: message.topic)
                state.bytes -= previousBytes
                return (true, state.messages.count, state.bytes)
            }
            let newBytes = state.bytes - previousBytes + Self.size(message)
            let newCount = state.messages.count + (previous == nil ? 1 : 0)
            guard newCount <= self.maxMessages, newBytes <= self.maxBytes else {
                return (false, state.messages.count, state.bytes)
            }
            state.messages[message.topic] = message
            state.bytes = newBytes
            return (true, newCount, newBytes)
        }
        if !kept { self.metrics.retainedRefused.increment() }
        self.metrics.retainedMessages.set(Double(count))
        self.metrics.retainedBytes.set(Double(bytes))
        return kept
    }

    func matching(filter: String) -> [BrokerMessage] {
        self.state.withLockedValue { state in
            state.messages.values.filter { Topic.matches(filter: filter, topic: $0.topic) }
        }
    }

    private static func size(_ message: BrokerMessage) -> Int {
        message.topic.utf8.count + message.payload.readableBytes
    }
}
