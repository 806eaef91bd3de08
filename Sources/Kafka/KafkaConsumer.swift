import Logging
import NIOCore

/// A Kafka consumer-group member.
///
/// Records come from `records`, an async sequence filled by the consumer's own poll thread.
/// Backpressure: when `highWatermark` records are waiting in it, the poll thread pauses every
/// assigned partition (librdkafka stops fetching and discards what it had prefetched for them);
/// when the application has drained it to `lowWatermark`, fetching resumes from the next
/// unread offset. Nothing is skipped or repeated by pausing.
///
/// Offsets are stored only by `storeOffset`, after the application has processed a record
/// (`enable.auto.offset.store` is always false); stored offsets are committed by librdkafka's
/// auto-commit (`enable.auto.commit`, on by default), on revocation, on `close`, and by `commit`.
public final class KafkaConsumer: Sendable {
    private let core: KafkaConsumerCore
    /// The consumed records. Iterate it from one task only; when that iteration ends
    /// (the task is cancelled or stops), the consumer leaves its group.
    public let records: KafkaRecordSequence

    /// Creates the consumer, subscribes to `topics` and starts its poll thread.
    ///
    /// - Parameter topics: names, or regular expressions when they start with `^`; topics created
    ///   later that match are picked up within `topic.metadata.refresh.interval.ms`.
    public init(
        configuration: KafkaConfiguration,
        topics: [String],
        lowWatermark: Int = 100,
        highWatermark: Int = 500,
        logger: Logger
    ) throws(KafkaError) {
        var configuration = configuration
        configuration["enable.auto.offset.store"] = "false"
        core = try KafkaConsumerCore(configuration: configuration, logger: logger)
        let sequence = KafkaConsumerCore.Sequence.makeSequence(
            backPressureStrategy: .init(lowWatermark: lowWatermark, highWatermark: highWatermark),
            finishOnDeinit: false,
            delegate: KafkaConsumerCore.FlowDelegate(core: core)
        )
        records = KafkaRecordSequence(wrapped: sequence.sequence)
        do {
            try RDKafkaPartitions.subscribe(client: core.client, topics: topics)
        } catch {
            sequence.source.finish()
            throw error
        }
        core.startPollThread(source: sequence.source)
        logger.info(
            "Kafka consumer started",
            metadata: [
                "kafka.client": "\(core.client.name)", "topics": "\(topics)", "configuration": "\(configuration)",
            ])
    }

    deinit {
        core.update { $0.closeRequested = true }
    }

    /// Marks `record` as processed: its offset + 1 is committed by the next (auto) commit.
    /// Store in order per partition: a stored offset covers every record before it.
    /// Throws `.state` when the partition is no longer assigned to this member.
    public func storeOffset(_ record: KafkaRecord) throws(KafkaError) {
        try RDKafkaPartitions.storeOffset(client: core.client, topic: record.topic, partition: record.partition, offset: record.offset)
    }

    /// Commits the stored offsets now and waits for the result (there is nothing to commit: no
    /// error), at most `timeout`: past it, throws a retriable `_TIMED_OUT` (Kafka unreachable);
    /// the offsets stay stored and a later commit, or the final one at close, takes them.
    public func commit(timeout: Duration = .seconds(10)) async throws(KafkaError) {
        let client = core.client
        let error = await KafkaPollThread.runBlocking(name: "\(client.name) commit") { client.commitStoredOffsets(timeout: timeout) }
        if let error { throw error }
    }

    /// Asks the cluster for its metadata and waits at most `timeout`; throws when no broker
    /// answered. For readiness checks: it blocks a short-lived thread, not the caller.
    public func checkBrokers(timeout: Duration) async throws(KafkaError) {
        try await core.client.checkBrokers(timeout: timeout)
    }

    /// Stops fetching from every assigned partition (and from partitions assigned later), until
    /// `resume`. Records already in `records` are still delivered.
    public func pause() {
        core.update { $0.pausedByApplication = true }
    }

    public func resume() {
        core.update { $0.pausedByApplication = false }
    }

    /// Commits the stored offsets, leaves the group and ends `records`. Safe to call repeatedly.
    public func close() async {
        core.update { $0.closeRequested = true }
        await core.pollThreadFinished.wait()
    }
}

/// The records of a `KafkaConsumer`, with backpressure. Single consumer.
public struct KafkaRecordSequence: AsyncSequence, Sendable {
    public typealias Element = KafkaRecord

    let wrapped: KafkaConsumerCore.Sequence

    public struct AsyncIterator: AsyncIteratorProtocol {
        var wrapped: KafkaConsumerCore.Sequence.AsyncIterator

        public mutating func next() async throws -> KafkaRecord? {
            try await wrapped.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(wrapped: wrapped.makeAsyncIterator())
    }
}
