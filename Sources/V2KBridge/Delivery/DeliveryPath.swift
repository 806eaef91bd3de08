import Dispatch
import Kafka
import Logging
import MQTTCore
import NIOCore
import Synchronization

/// Everything between a message taken from the broker and its acknowledgement: conversion, the
/// producer, retries, the dead-letter topic.
///
/// `submit` takes each new message; from then on one path drives it, whether a failure comes
/// from `produce` at once or later in a delivery report (`settle`): retried after a backoff,
/// dead-lettered (or acknowledged) when Kafka will never take it, or, on a fatal error, all
/// acknowledgements halt and the bridge ends. A message is acknowledged only once Kafka has it
/// (or it is invalid and has nowhere to go).
final class DeliveryPath: Sendable {
    let ledger: DeliveryLedger
    let metrics: V2KMetrics
    let topicSuffix: String
    let deadLetterTopic: String?
    let acknowledgements: AcknowledgementBatcher
    let producer: KafkaProducer
    let logger: Logger
    /// Retries are scheduled here (never on Kafka's poll thread).
    let eventLoop: any EventLoop
    private let fatalErrors: AsyncStream<KafkaError>.Continuation
    /// Acknowledgements after Kafka confirmed a message (the metrics backend cannot be read back).
    let acknowledgedTotal = Atomic<Int>(0)

    init(
        configuration: V2KConfiguration, acknowledgements: AcknowledgementBatcher, eventLoop: any EventLoop, logger: Logger,
        fatalErrors: AsyncStream<KafkaError>.Continuation
    ) throws(KafkaError) {
        // The producer reports to this object, which owns it: the relay holds it weakly and is
        // set before anything is produced, so no report can find it empty.
        let relay = DeliveryReportRelay()
        self.producer = try KafkaProducer(configuration: configuration.producer, logger: logger) { token, result in
            relay.path?.handle(token: token, result: result)
        }
        self.ledger = DeliveryLedger(capacity: configuration.maxInflight)
        self.metrics = V2KMetrics()
        self.topicSuffix = configuration.topicSuffix
        self.deadLetterTopic = configuration.deadLetterTopic
        self.acknowledgements = acknowledgements
        self.eventLoop = eventLoop
        self.logger = logger
        self.fatalErrors = fatalErrors
        relay.path = self
    }

    /// Stops retrying (what is unacknowledged stays with the broker), then flushes the producer.
    func shutdown(timeout: Duration) async {
        ledger.startDraining()
        await producer.shutdown(timeout: timeout)
    }

    // MARK: Outcomes

    /// The producer's delivery handler (Kafka's poll thread).
    func handle(token: UInt64, result: Result<DeliveredRecord, KafkaError>) {
        switch result {
        case .success:
            guard let (delivery, halted) = ledger.remove(token), !halted else { return }
            acknowledgements.acknowledge(delivery.message)
            metrics.acknowledged.increment()
            acknowledgedTotal.add(1, ordering: .relaxed)
            switch delivery.kind {
            case .deviceData:
                metrics.produced.increment()
                metrics.produceLatency.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds &- delivery.startedAt))
            case .deadLetter:
                metrics.deadLettered.increment()
            }
        case .failure(let error):
            metrics.deliveryFailures.increment()
            settle(token: token, error: error)
        }
    }

    /// A failed attempt of `token`, whether `produce` refused it or a delivery report did: the
    /// one place that sorts Kafka's errors.
    func settle(token: UInt64, error: KafkaError) {
        if error.isFatal {
            reportFatal(error)
        } else if error.code == .destroyed {
            // The producer is gone (shutting down): left unacknowledged, the broker redelivers.
            _ = ledger.remove(token)
        } else if error.isRetriable {
            scheduleRetry(token: token, error: error)
        } else {
            rejected(token: token, error: error)
        }
    }

    /// Nothing is acknowledged any more; the bridge ends.
    func reportFatal(_ error: KafkaError) {
        ledger.halt()
        fatalErrors.yield(error)
    }

    /// A retriable failure: the same message again after a backoff, as long as it takes. While
    /// the bridge drains for shutdown it is left unacknowledged instead (the broker redelivers).
    private func scheduleRetry(token: UInt64, error: KafkaError) {
        guard let delivery = ledger.retry(token) else {
            _ = ledger.remove(token)
            return
        }
        if delivery.attempts <= 2 || delivery.attempts % 10 == 0 {
            logger.warning(
                "Kafka delivery failed, retrying",
                metadata: [
                    "topic": "\(delivery.message.topic)", "attempt": "\(delivery.attempts)", "error": "\(error)",
                ])
        }
        eventLoop.scheduleTask(in: Self.backoff(attempt: delivery.attempts)) { self.attempt(token: token) }
    }

    /// Kafka refuses this message for good (too large, invalid topic, ...): it can never be
    /// delivered, so it goes to the dead-letter topic when there is one and is acknowledged,
    /// rather than blocking a window slot and coming back forever.
    private func rejected(token: UInt64, error: KafkaError) {
        guard let (delivery, halted) = ledger.remove(token), !halted else { return }
        logger.error("Kafka rejected a message", metadata: ["topic": "\(delivery.message.topic)", "error": "\(error)"])
        metrics.invalid("kafka_rejected").increment()
        if case .deviceData = delivery.kind, !ledger.isDraining {
            deadLetterOrAcknowledge(delivery.message, startedAt: delivery.startedAt)
        } else {
            acknowledge(delivery.message)
        }
    }

    /// An undeliverable message: raw to the dead-letter topic when there is one (acknowledged
    /// once Kafka has it), else acknowledged at once so that it does not come back forever.
    func deadLetterOrAcknowledge(_ message: MQTTInboundMessage, startedAt: UInt64) {
        guard deadLetterTopic != nil else {
            acknowledge(message)
            return
        }
        let token = ledger.add(PendingDelivery(message: message, kind: .deadLetter, attempts: 1, startedAt: startedAt))
        // Never produce from Kafka's poll thread: `rejected` runs there.
        eventLoop.execute { self.attempt(token: token) }
    }

    private func acknowledge(_ message: MQTTInboundMessage) {
        acknowledgements.acknowledge(message)
        metrics.acknowledged.increment()
    }

    static func backoff(attempt: Int) -> TimeAmount {
        .milliseconds(min(100 << min(attempt - 1, 6), 5000))
    }
}

/// The producer's way back to its `DeliveryPath`, which is created after the producer.
/// `path` is written once, in the path's init, before the first `produce`; librdkafka's queues
/// order that write before any delivery report reads it.
private final class DeliveryReportRelay: @unchecked Sendable {
    weak var path: DeliveryPath?
}
