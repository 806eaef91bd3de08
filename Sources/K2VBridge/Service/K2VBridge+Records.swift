import Kafka
import MQTTCore
import NIOCore

extension K2VBridge {
    /// Reads records until the consumer closes. A record read while stopping is not processed:
    /// its offset is not stored, so it is read again by whoever owns its partition next.
    func consume(_ consumer: KafkaConsumer, flow: BridgeFlow) async throws {
        for try await record in consumer.records {
            metrics.consumed.increment()
            let partition = PartitionID(topic: record.topic, partition: record.partition)
            guard let ticket = try await flow.admit(partition, offset: record.offset) else { continue }
            switch decoder.decode(record.value, topic: record.topic) {
            case .publish(let device):
                publish(device, ticket: ticket, flow: flow)
            case .skip(let event):
                metrics.skipped.increment()
                logger.trace("event skipped", metadata: ["event": "\(event)", "partition": "\(partition)", "offset": "\(record.offset)"])
                flow.complete(ticket)
            case .malformed(let reason):
                metrics.malformed.increment()
                logger.warning(
                    "malformed record skipped",
                    metadata: [
                        "topic": "\(record.topic)", "partition": "\(record.partition)", "offset": "\(record.offset)", "reason": "\(reason)",
                    ])
                flow.complete(ticket)
            }
        }
    }

    private func publish(_ device: DeviceConfiguration, ticket: OffsetTracker.Ticket, flow: BridgeFlow) {
        metrics.publishStarted()
        let topic = device.topic
        client.publishFuture(topic: topic, payload: ByteBuffer(bytes: device.payload), qos: configuration.publishQoS, retain: false)
            .whenComplete { [self] result in
                metrics.publishEnded()
                switch result {
                case .success:
                    metrics.acknowledged.increment()
                    flow.complete(ticket)
                case .failure(MQTTClientError.shutdown):
                    // Stopping before the PUBACK: not stored, read again later.
                    break
                case .failure(let error as MQTTClientError) where error.isAboutThisMessage:
                    metrics.malformed.increment()
                    logger.warning("record cannot be published, skipped", metadata: ["topic": "\(topic)", "error": "\(error)"])
                    flow.complete(ticket)
                case .failure(let error):
                    // With a persistent session nothing else fails a publish; never skip one silently.
                    logger.error("publish failed; stopping so that the record is read again", metadata: ["topic": "\(topic)", "error": "\(error)"])
                    flow.fail(error)
                }
            }
    }
}

extension MQTTClientError {
    /// Errors that sending the message again cannot cure.
    var isAboutThisMessage: Bool {
        switch self {
        case .invalidTopicName, .encoding: true
        default: false
        }
    }
}
