import Dispatch
import Kafka
import Logging
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// Everything between a message handed to Kafka and its acknowledgement to the broker.
///
/// `handle` is the producer's delivery handler and runs on Kafka's poll thread: it acknowledges
/// a message only when Kafka confirmed it, schedules a new attempt after a retriable failure,
/// and on a fatal error halts all acknowledgements and reports the error to the bridge.
final class DeliveryPath: Sendable {
    let ledger: DeliveryLedger
    let metrics: V2KMetrics
    let topicSuffix: String
    let deadLetterTopic: String?
    let acknowledgements: AcknowledgementBatcher
    private let logger: Logger
    /// Retries are scheduled here (never on Kafka's poll thread).
    private let eventLoop: any EventLoop
    /// Set once the producer exists (it needs this object's handler first); cleared at shutdown.
    private let producer = NIOLockedValueBox<KafkaProducer?>(nil)
    private let fatalErrors: AsyncStream<KafkaError>.Continuation
    /// Acknowledgements so far (the metrics backend cannot be read back).
    let acknowledgedTotal = Atomic<Int>(0)

    init(
        ledger: DeliveryLedger, metrics: V2KMetrics, topicSuffix: String, deadLetterTopic: String?,
        acknowledgements: AcknowledgementBatcher, eventLoop: any EventLoop, logger: Logger,
        fatalErrors: AsyncStream<KafkaError>.Continuation
    ) {
        self.acknowledgements = acknowledgements
        self.ledger = ledger
        self.metrics = metrics
        self.topicSuffix = topicSuffix
        self.deadLetterTopic = deadLetterTopic
        self.eventLoop = eventLoop
        self.logger = logger
        self.fatalErrors = fatalErrors
    }

    func attach(_ producer: KafkaProducer?) {
        self.producer.withLockedValue { $0 = producer }
    }

    // MARK: Delivery reports (Kafka's poll thread)

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
            if error.isFatal {
                reportFatal(error)
            } else if error.isRetriable {
                scheduleRetry(token: token, error: error)
            } else {
                rejected(token: token, error: error)
            }
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
        let delay = Self.backoff(attempt: delivery.attempts)
        if delivery.attempts <= 2 || delivery.attempts % 10 == 0 {
            logger.warning(
                "Kafka delivery failed, retrying",
                metadata: [
                    "topic": "\(delivery.message.topic)", "attempt": "\(delivery.attempts)", "error": "\(error)",
                ])
        }
        eventLoop.scheduleTask(in: delay) { self.produceAgain(token: token) }
    }

    /// Kafka refuses this message for good (too large, invalid topic, ...): it can never be
    /// delivered, so it goes to the dead-letter topic when there is one and is acknowledged,
    /// rather than blocking a window slot and coming back forever.
    private func rejected(token: UInt64, error: KafkaError) {
        guard let (delivery, halted) = ledger.remove(token), !halted else { return }
        logger.error("Kafka rejected a message", metadata: ["topic": "\(delivery.message.topic)", "error": "\(error)"])
        metrics.invalid("kafka_rejected").increment()
        if case .deviceData = delivery.kind, deadLetterTopic != nil, !ledger.isDraining {
            let token = ledger.add(PendingDelivery(message: delivery.message, kind: .deadLetter, attempts: 1, startedAt: delivery.startedAt))
            eventLoop.execute { self.produceAgain(token: token) }
            return
        }
        acknowledgements.acknowledge(delivery.message)
        metrics.acknowledged.increment()
    }

    static func backoff(attempt: Int) -> TimeAmount {
        .milliseconds(min(100 << min(attempt - 1, 6), 5000))
    }

    // MARK: Producing

    /// Produces the pending message of `token` again (a retry, or a new dead letter).
    private func produceAgain(token: UInt64) {
        guard let producer = producer.withLockedValue({ $0 }) else {
            _ = ledger.remove(token)
            return
        }
        guard let delivery = ledger.entryToProduce(token) else {
            _ = ledger.remove(token)
            return
        }
        var converter = DeviceMessageConverter(topicSuffix: topicSuffix)
        switch produce(delivery, token: token, producer: producer, converter: &converter) {
        case .produced:
            metrics.retries.increment()
        case .queueFull, .failed:
            eventLoop.scheduleTask(in: Self.backoff(attempt: delivery.attempts)) { self.produceAgain(token: token) }
        case .invalid:
            _ = ledger.remove(token)
        }
    }

    enum ProduceOutcome {
        case produced
        case queueFull
        case failed(KafkaError)
        /// Cannot be converted (only on a first attempt).
        case invalid(DeviceMessageConverter.Invalid)
    }

    /// Converts and enqueues one message under `token`. Allocation-free for device data.
    func produce(_ delivery: PendingDelivery, token: UInt64, producer: KafkaProducer, converter: inout DeviceMessageConverter) -> ProduceOutcome {
        var topic = delivery.message.topic
        return topic.withUTF8 { topicBytes -> ProduceOutcome in
            let topicBytes = UnsafeRawBufferPointer(topicBytes)
            do throws(KafkaError) {
                switch delivery.kind {
                case .deviceData(let timestamp):
                    let fixed: Int64? = delivery.attempts > 1 ? timestamp : nil
                    switch converter.convert(topic: topicBytes, payload: delivery.message.payload, timestamp: fixed, clock: currentEpochMilliseconds) {
                    case .failure(let invalid):
                        return .invalid(invalid)
                    case .success(let converted):
                        try converter.value.withUnsafeReadableBytes { (value) throws(KafkaError) in
                            try producer.produce(
                                topic: converted.kafkaTopic, key: UnsafeRawBufferPointer(rebasing: topicBytes[converted.key]),
                                value: value, token: token
                            )
                        }
                    }
                case .deadLetter:
                    try delivery.message.payload.withUnsafeReadableBytes { (payload) throws(KafkaError) in
                        try producer.produce(topic: deadLetterTopic!, key: topicBytes, value: payload, token: token)
                    }
                }
                return .produced
            } catch {
                if error.code == .queueFull {
                    metrics.queueFull.increment()
                    return .queueFull
                }
                return .failed(error)
            }
        }
    }
}

extension ByteBuffer {
    /// `withUnsafeReadableBytes` for a body with typed throws.
    func withUnsafeReadableBytes(_ body: (UnsafeRawBufferPointer) throws(KafkaError) -> Void) throws(KafkaError) {
        try withUnsafeReadableBytes { bytes in Result { () throws(KafkaError) in try body(bytes) } }.get()
    }
}
