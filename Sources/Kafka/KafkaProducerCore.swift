import CRdKafka
import Logging
import NIOConcurrencyHelpers

/// The producer state shared by callers and its poll thread. The poll thread holds the core,
/// not the `KafkaProducer`, so dropping the producer can stop the thread.
final class KafkaProducerCore: Sendable {
    let client: RDKafkaClient
    let topics: RDKafkaTopicHandles
    let pendingSends = PendingSends()
    let pollThreadFinished = CompletionSignal()
    private let queue: RDKafkaQueue
    private let deliveryHandler: KafkaProducer.DeliveryHandler
    private let metrics = KafkaProducerMetrics()
    private let logger: Logger
    private let stopRequested = NIOLockedValueBox(false)

    init(configuration: KafkaConfiguration, logger: Logger, deliveryHandler: @escaping KafkaProducer.DeliveryHandler) throws(KafkaError) {
        let events = RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_STATS
        self.client = try RDKafkaClient(role: .producer, configuration: configuration, events: events)
        self.topics = RDKafkaTopicHandles(client: client)
        self.queue = client.makeEventQueue()
        self.deliveryHandler = deliveryHandler
        var logger = logger
        logger[metadataKey: "kafka.client"] = "\(client.name)"
        self.logger = logger
    }

    func startPollThread() {
        KafkaPollThread.start(name: "\(client.name) poll", finished: pollThreadFinished) { [self] in
            while !stopRequested.withLockedValue({ $0 }) {
                queue.pollEvent(timeoutMilliseconds: 100) { handle($0) }
            }
        }
    }

    func requestStop() {
        stopRequested.withLockedValue { $0 = true }
        queue.wakeUp()
    }

    func produce(topic: String, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer, timestamp: Int64?, token: UInt64) throws(KafkaError) {
        let error = try topics.withOpenTopic(topic) { handle in
            RDKafkaProduce.produce(client: client, topic: handle, key: key, value: value, timestamp: timestamp, opaque: token)
        }
        guard let error else { return }
        if error.code == .queueFull { metrics.queueFullRejections.increment() }
        throw error
    }

    private func handle(_ event: RDKafkaEvent) {
        switch event.kind {
        case .deliveryReports:
            handleDeliveryReports(event)
        case .error:
            guard let error = event.error else { return }
            metrics.errors.increment()
            if error.isFatal {
                logger.critical("Kafka producer fatal error", metadata: ["error": "\(client.fatalError() ?? error)"])
            } else {
                // Broker connection errors are routine while Kafka restarts: librdkafka retries.
                logger.warning("Kafka producer error", metadata: ["error": "\(error)"])
            }
        case .statistics:
            if let json = event.statisticsJSON, let statistics = KafkaStatistics.decode(json), let queued = statistics.queuedMessages {
                metrics.queuedMessages.record(queued)
            }
        case .log:
            logger.logRDKafka(event)
        case .message, .rebalance, .offsetCommit, .other:
            break
        }
    }

    /// Hands each report to the application's handler, or to a waiting `send`, counting them
    /// in bulk (one metrics call per event rather than per message).
    private func handleDeliveryReports(_ event: RDKafkaEvent) {
        var delivered = 0
        var failed = 0
        event.forEachMessage { message in
            let (token, result) = RDKafkaDeliveryReport.read(message, client: client)
            if case .failure(let error) = result {
                failed += 1
                logger.debug("Kafka delivery failed", metadata: ["token": "\(token)", "error": "\(error)"])
            } else {
                delivered += 1
            }
            if PendingSends.isSendToken(token) {
                pendingSends.complete(token, with: result)
            } else {
                deliveryHandler(token, result)
            }
        }
        if delivered > 0 { metrics.deliveredMessages.increment(by: delivered) }
        if failed > 0 { metrics.failedDeliveries.increment(by: failed) }
    }
}
