import Dispatch
import Kafka
import MQTTCore
import NIOCore

extension DeliveryPath {
    enum Submission {
        /// The path has the message now (produced, retrying, dead-lettered or acknowledged).
        case accepted
        /// librdkafka's queue is full: nothing was kept; submit the message again later.
        case queueFull
    }

    /// A new message from the broker: converted and produced, or, invalid, logged, counted and
    /// dead-lettered (or acknowledged). Allocation-free for valid device data.
    func submit(_ message: MQTTInboundMessage, converter: inout DeviceMessageConverter) -> Submission {
        let startedAt = DispatchTime.now().uptimeNanoseconds
        switch Self.convert(message, timestamp: nil, converter: &converter) {
        case .failure(let invalid):
            metrics.invalid(invalid.label).increment()
            logger.warning(
                "invalid message",
                metadata: [
                    "topic": "\(message.topic)", "reason": "\(invalid)", "bytes": "\(message.payload.readableBytes)",
                ])
            deadLetterOrAcknowledge(message, startedAt: startedAt)
            return .accepted
        case .success(let converted):
            let token = ledger.add(PendingDelivery(message: message, kind: .deviceData(timestamp: converted.timestamp), attempts: 1, startedAt: startedAt))
            do throws(KafkaError) {
                try send(converted, of: message, value: converter.value, token: token)
            } catch {
                guard error.code != .queueFull else {
                    _ = ledger.remove(token)
                    return .queueFull
                }
                settle(token: token, error: error)
            }
            return .accepted
        }
    }

    /// Produces the pending message of `token` again (a retry, or a new dead letter).
    func attempt(token: UInt64) {
        guard let delivery = ledger.entryToProduce(token) else {
            _ = ledger.remove(token)
            return
        }
        do throws(KafkaError) {
            switch delivery.kind {
            case .deviceData(let timestamp):
                var converter = DeviceMessageConverter(topicSuffix: topicSuffix)
                // A retry keeps the timestamp of its first attempt.
                guard case .success(let converted) = Self.convert(delivery.message, timestamp: timestamp, converter: &converter) else {
                    // Unreachable: it converted on its first attempt, and the payload has not changed.
                    _ = ledger.remove(token)
                    return
                }
                try send(converted, of: delivery.message, value: converter.value, token: token)
            case .deadLetter:
                var topic = delivery.message.topic
                try topic.withUTF8Bytes { (topicBytes) throws(KafkaError) in
                    try delivery.message.payload.withUnsafeReadableBytes { (payload) throws(KafkaError) in
                        try producer.produce(topic: deadLetterTopic!, key: topicBytes, value: payload, token: token)
                    }
                }
            }
            if delivery.attempts > 1 { metrics.retries.increment() }
        } catch {
            settle(token: token, error: error)
        }
    }

    private static func convert(
        _ message: MQTTInboundMessage, timestamp: Int64?, converter: inout DeviceMessageConverter
    ) -> Result<DeviceMessageConverter.Converted, DeviceMessageConverter.Invalid> {
        var topic = message.topic
        return topic.withUTF8 { topicBytes in
            converter.convert(topic: UnsafeRawBufferPointer(topicBytes), payload: message.payload, timestamp: timestamp, clock: currentEpochMilliseconds)
        }
    }

    /// Enqueues `value` (what the converter made of `message`), keyed by the device's identity.
    private func send(_ converted: DeviceMessageConverter.Converted, of message: MQTTInboundMessage, value: ByteBuffer, token: UInt64) throws(KafkaError) {
        var topic = message.topic
        do throws(KafkaError) {
            try topic.withUTF8Bytes { (topicBytes) throws(KafkaError) in
                let key = UnsafeRawBufferPointer(rebasing: topicBytes[converted.key])
                try value.withUnsafeReadableBytes { (value) throws(KafkaError) in
                    try producer.produce(topic: converted.kafkaTopic, key: key, value: value, token: token)
                }
            }
        } catch {
            if error.code == .queueFull { metrics.queueFull.increment() }
            throw error
        }
    }
}

extension String {
    /// `withUTF8` for a body with typed throws.
    mutating func withUTF8Bytes(_ body: (UnsafeRawBufferPointer) throws(KafkaError) -> Void) throws(KafkaError) {
        try withUTF8 { bytes in Result { () throws(KafkaError) in try body(UnsafeRawBufferPointer(bytes)) } }.get()
    }
}

extension ByteBuffer {
    /// `withUnsafeReadableBytes` for a body with typed throws.
    func withUnsafeReadableBytes(_ body: (UnsafeRawBufferPointer) throws(KafkaError) -> Void) throws(KafkaError) {
        try withUnsafeReadableBytes { bytes in Result { () throws(KafkaError) in try body(bytes) } }.get()
    }
}
