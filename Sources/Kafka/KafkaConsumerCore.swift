import CRdKafka
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The consumer state shared by the application, the record sequence and the poll thread.
///
/// Only the poll thread calls librdkafka's assignment and pause operations, so they happen in
/// one order; other threads change the wanted state under the lock and wake the poll thread.
final class KafkaConsumerCore: Sendable {
    typealias Sequence = NIOThrowingAsyncSequenceProducer<
        KafkaRecord, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, FlowDelegate
    >

    /// Sets the wanted flow from the record sequence's demand.
    struct FlowDelegate: NIOAsyncSequenceProducerDelegate {
        let core: KafkaConsumerCore
        func produceMore() { core.update { $0.pausedByBackpressure = false } }
        /// The application stopped iterating: nobody will process records any more, so leave the
        /// group and let another member take the partitions.
        func didTerminate() { core.update { $0.closeRequested = true } }
    }

    struct WantedFlow {
        var pausedByApplication = false
        var pausedByBackpressure = false
        var closeRequested = false
        var isPaused: Bool { pausedByApplication || pausedByBackpressure }
    }

    let client: RDKafkaClient
    let pollThreadFinished = CompletionSignal()
    private let queue: RDKafkaQueue
    private let wanted = NIOLockedValueBox(WantedFlow())
    private let metrics = KafkaConsumerMetrics()
    private let logger: Logger

    init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        let events =
            RD_KAFKA_EVENT_FETCH | RD_KAFKA_EVENT_REBALANCE | RD_KAFKA_EVENT_OFFSET_COMMIT
            | RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_STATS
        self.client = try RDKafkaClient(role: .consumer, configuration: configuration, events: events)
        self.queue = client.makeEventQueue()
        var logger = logger
        logger[metadataKey: "kafka.client"] = "\(client.name)"
        self.logger = logger
    }

    func update(_ change: (inout WantedFlow) -> Void) {
        wanted.withLockedValue(change)
        queue.wakeUp()
    }

    func startPollThread(source: Sequence.Source) {
        KafkaPollThread.start(name: "\(client.name) poll", finished: pollThreadFinished) { [self] in
            run(source: source)
        }
    }

    /// How long `close()` waits for the consumer to leave its group.
    static let closeTimeout: Duration = .seconds(10)

    /// The poll thread's loop: applies the wanted flow, then serves one event at a time until the
    /// consumer has left its group.
    private func run(source: Sequence.Source) {
        var isPaused = false
        var isClosing = false
        var closeDeadline = ContinuousClock.now
        while true {
            let flow = wanted.withLockedValue { $0 }
            if flow.closeRequested && !isClosing {
                isClosing = true
                closeDeadline = .now + Self.closeTimeout
                guard startClosing() else { break }
            }
            if isClosing && client.isConsumerClosed { break }
            if isClosing && ContinuousClock.now > closeDeadline {
                // Kafka is unreachable: leaving the group (and the final commit) cannot finish.
                // Give up rather than hang the process's shutdown; the group notices after its
                // session timeout, and uncommitted records are read again (at least once).
                logger.warning("Kafka consumer could not leave its group in time; closing without it", metadata: ["timeout": "\(Self.closeTimeout)"])
                client.skipConsumerCloseOnDestroy.store(true, ordering: .releasing)
                break
            }
            if !isClosing && flow.isPaused != isPaused {
                isPaused = flow.isPaused
                if let error = RDKafkaPartitions.setAssignmentPaused(client: client, isPaused) {
                    logger.error("Kafka consumer cannot pause or resume its partitions", metadata: ["error": "\(error)"])
                }
                if isPaused {
                    logger.debug("Kafka consumer paused", metadata: ["by": "\(flow.pausedByApplication ? "application" : "backpressure")"])
                } else {
                    logger.debug("Kafka consumer resumed")
                }
            }
            queue.pollEvent(timeoutMilliseconds: 100) { event in
                switch event.kind {
                case .message where !isClosing:
                    event.forEachMessage { deliver($0, to: source) }
                case .rebalance:
                    handleRebalance(event, isPaused: isPaused)
                case .error:
                    handleError(event, source: source)
                case .offsetCommit:
                    if let error = event.error, error.code != .noOffset {
                        metrics.errors.increment()
                        logger.warning("Kafka offset commit failed", metadata: ["error": "\(error)"])
                    }
                case .statistics:
                    if let json = event.statisticsJSON, let statistics = KafkaStatistics.decode(json) {
                        metrics.lag.record(statistics.consumerLag)
                    }
                case .log:
                    logger.logRDKafka(event)
                case .message, .deliveryReports, .other:
                    break
                }
            }
        }
        source.finish()
        logger.info("Kafka consumer closed")
    }

    /// Leaves the group without blocking: rebalance events for the revocation keep arriving on
    /// the queue this thread polls. Returns false when closing could not even start.
    private func startClosing() -> Bool {
        guard let error = client.startConsumerClose(queue: queue) else { return true }
        logger.error("Kafka consumer close failed", metadata: ["error": "\(error)"])
        return false
    }

    private func deliver(_ message: UnsafePointer<rd_kafka_message_t>, to source: Sequence.Source) {
        if let error = RDKafkaMessage.error(of: message) {
            // Per-partition problems (an unknown topic, a reset offset): librdkafka carries on.
            metrics.errors.increment()
            logger.warning("Kafka consumer partition error", metadata: ["error": "\(error)"])
            return
        }
        let record = RDKafkaMessage.record(from: message)
        metrics.records.increment()
        // The flag is set under the same lock `produceMore` takes, so a `produceMore` that follows
        // this `stopProducing` cannot be overtaken and lost.
        wanted.withLockedValue { wanted in
            if case .stopProducing = source.yield(record) {
                wanted.pausedByBackpressure = true
                metrics.backpressurePauses.increment()
            }
        }
    }

    /// librdkafka delegates the assignment to the application (REBALANCE events enabled), so that
    /// partitions assigned while paused are paused at once and every change is logged.
    private func handleRebalance(_ event: RDKafkaEvent, isPaused: Bool) {
        guard let list = event.topicPartitionList else { return }
        let partitions = RDKafkaPartitions.describe(list)
        let error: KafkaError?
        switch event.errorCode {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            metrics.assignments.increment()
            logger.info("Kafka partitions assigned", metadata: ["partitions": "\(partitions)"])
            error =
                RDKafkaPartitions.assign(client: client, list)
                ?? (isPaused ? RDKafkaPartitions.setPaused(client: client, list, true) : nil)
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            // With auto-commit on, librdkafka commits the stored offsets of revoked partitions.
            metrics.revocations.increment()
            logger.info("Kafka partitions revoked", metadata: ["partitions": "\(partitions)"])
            error = RDKafkaPartitions.revoke(client: client, list)
        default:
            logger.error("Kafka rebalance failed", metadata: ["error": "\(event.error.map { "\($0)" } ?? "")"])
            error = RDKafkaPartitions.unassignAll(client: client)
        }
        if let error {
            metrics.errors.increment()
            logger.error("Kafka consumer cannot apply a rebalance", metadata: ["error": "\(error)"])
        }
    }

    private func handleError(_ event: RDKafkaEvent, source: Sequence.Source) {
        guard let error = event.error else { return }
        metrics.errors.increment()
        guard error.isFatal else {
            // Broker connection errors are routine while Kafka restarts: librdkafka retries.
            logger.warning("Kafka consumer error", metadata: ["error": "\(error)"])
            return
        }
        let fatal = client.fatalError() ?? error
        logger.critical("Kafka consumer fatal error", metadata: ["error": "\(fatal)"])
        source.finish(fatal)
        wanted.withLockedValue { $0.closeRequested = true }
    }
}
