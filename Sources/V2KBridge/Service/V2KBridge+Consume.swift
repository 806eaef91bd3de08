import Kafka
import MQTTCore

extension V2KBridge {
    /// Takes messages while the window has room and submits each; ends when cancelled
    /// (graceful shutdown).
    func consume() async {
        var converter = DeviceMessageConverter(topicSuffix: configuration.topicSuffix)
        var messages = client.messages.makeAsyncIterator()
        let ledger = delivery.ledger
        while !Task.isCancelled {
            await ledger.waitForRoom()
            guard !Task.isCancelled, let message = await messages.next() else { return }
            delivery.metrics.received.increment()
            var delay: Duration = .milliseconds(1)
            // Waits only while librdkafka's queue is full, for deliveries to drain it.
            while case .queueFull = delivery.submit(message, converter: &converter) {
                guard !Task.isCancelled else { return }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .milliseconds(100))
            }
        }
    }
}
