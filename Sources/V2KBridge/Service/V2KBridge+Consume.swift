import Dispatch
import Kafka
import MQTTCore

extension V2KBridge {
    /// Takes messages while the window has room, converts and produces each; ends when
    /// cancelled (graceful shutdown).
    func consume() async {
        var converter = DeviceMessageConverter(topicSuffix: configuration.topicSuffix)
        var messages = client.messages.makeAsyncIterator()
        let ledger = delivery.ledger
        while !Task.isCancelled {
            await ledger.waitForRoom()
            guard !Task.isCancelled, let message = await messages.next() else { return }
            delivery.metrics.received.increment()
            await forward(message, converter: &converter)
        }
    }

    /// One message to Kafka (or, invalid, to the dead-letter topic or straight to its
    /// acknowledgement). Waits only while librdkafka's queue is full.
    private func forward(_ message: MQTTInboundMessage, converter: inout DeviceMessageConverter) async {
        var delay: Duration = .milliseconds(1)
        while true {
            switch produceFirst(message, converter: &converter) {
            case .produced:
                return
            case .queueFull:
                // librdkafka's queue is full: wait for deliveries to drain it.
                guard !Task.isCancelled else { return }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .milliseconds(100))
            case .failed(let error) where error.isFatal:
                delivery.reportFatal(error)
                return
            case .failed(let error) where !error.isRetriable:
                // Kafka will never take this one (e.g. too large): like an invalid message.
                logger.error("Kafka refused a message", metadata: ["topic": "\(message.topic)", "error": "\(error)"])
                delivery.metrics.invalid("kafka_rejected").increment()
                deadLetterOrAcknowledge(message)
                return
            case .failed(let error):
                logger.warning("Kafka cannot take a message yet", metadata: ["topic": "\(message.topic)", "error": "\(error)"])
                guard !Task.isCancelled else { return }
                try? await Task.sleep(for: .milliseconds(100))
            case .invalid(let invalid):
                handleInvalid(message, invalid)
                return
            }
        }
    }

    private func produceFirst(_ message: MQTTInboundMessage, converter: inout DeviceMessageConverter) -> DeliveryPath.ProduceOutcome {
        var topic = message.topic
        let ledger = delivery.ledger
        let producer = self.producer
        return topic.withUTF8 { topicBytes in
            let topicBytes = UnsafeRawBufferPointer(topicBytes)
            switch converter.convert(topic: topicBytes, payload: message.payload, clock: currentEpochMilliseconds) {
            case .failure(let invalid):
                return .invalid(invalid)
            case .success(let converted):
                let token = ledger.add(
                    PendingDelivery(
                        message: message, kind: .deviceData(timestamp: converted.timestamp), attempts: 1,
                        startedAt: DispatchTime.now().uptimeNanoseconds
                    ))
                do throws(KafkaError) {
                    try converter.value.withUnsafeReadableBytes { (value) throws(KafkaError) in
                        try producer.produce(
                            topic: converted.kafkaTopic, key: UnsafeRawBufferPointer(rebasing: topicBytes[converted.key]),
                            value: value, token: token
                        )
                    }
                    return .produced
                } catch {
                    _ = ledger.remove(token)
                    if error.code == .queueFull {
                        delivery.metrics.queueFull.increment()
                        return .queueFull
                    }
                    return .failed(error)
                }
            }
        }
    }

    /// Invalid messages are acknowledged (they would come back forever otherwise), logged with
    /// topic and reason, counted, and written raw to the dead-letter topic when there is one
    /// (then acknowledged once Kafka has them).
    private func handleInvalid(_ message: MQTTInboundMessage, _ invalid: DeviceMessageConverter.Invalid) {
        delivery.metrics.invalid(invalid.label).increment()
        logger.warning(
            "invalid message",
            metadata: [
                "topic": "\(message.topic)", "reason": "\(invalid)", "bytes": "\(message.payload.readableBytes)",
            ])
        deadLetterOrAcknowledge(message)
    }

    private func deadLetterOrAcknowledge(_ message: MQTTInboundMessage) {
        guard let deadLetterTopic = configuration.deadLetterTopic else {
            message.acknowledge()
            delivery.metrics.acknowledged.increment()
            return
        }
        let token = delivery.ledger.add(
            PendingDelivery(
                message: message, kind: .deadLetter, attempts: 1, startedAt: DispatchTime.now().uptimeNanoseconds
            ))
        var topic = message.topic
        let outcome = topic.withUTF8 { topicBytes in
            Result { () throws(KafkaError) in
                try message.payload.withUnsafeReadableBytes { (payload) throws(KafkaError) in
                    try producer.produce(topic: deadLetterTopic, key: UnsafeRawBufferPointer(topicBytes), value: payload, token: token)
                }
            }
        }
        if case .failure(let error) = outcome {
            // Not enqueued: the retry path tries again after a backoff.
            delivery.handle(token: token, result: .failure(error.code == .queueFull ? error : KafkaError(code: error.code, message: error.message, isRetriable: true)))
        }
    }
}
