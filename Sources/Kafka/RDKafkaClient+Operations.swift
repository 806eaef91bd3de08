import CRdKafka

/// Blocking or state-changing calls on the whole client.
extension RDKafkaClient {
    /// Waits until librdkafka's queue is empty. With delivery reports enabled as events, this
    /// does not poll: it waits for the poll thread to hand the reports out. Blocks: call it on a
    /// thread of its own.
    func flush(timeout: Duration) -> KafkaError? {
        RDKafkaErrorCode.check(rd_kafka_flush(handle, Int32(clamping: timeout.milliseconds)))
    }

    /// Drops queued and in-flight messages; each gets a delivery report with a purge error.
    func purgeOutstandingMessages() {
        rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
    }

    /// Commits the stored offsets and waits for the result; nothing to commit is no error.
    /// Blocks: call it on a thread of its own.
    func commitStoredOffsets() -> KafkaError? {
        let code = rd_kafka_commit(handle, nil, 0)
        return code == RD_KAFKA_RESP_ERR__NO_OFFSET ? nil : RDKafkaErrorCode.check(code)
    }

    /// Starts leaving the group without blocking; rebalance events for the revocation arrive on
    /// `queue`, which must be served until `isConsumerClosed`.
    func startConsumerClose(queue: RDKafkaQueue) -> KafkaError? {
        rd_kafka_consumer_close_queue(handle, queue.pointer).map(RDKafkaErrorCode.consume)
    }

    /// Asks a broker for the cluster's metadata and waits for the answer (at most `timeout`):
    /// nil when a broker answered. Blocks: call it on a thread of its own.
    func requestMetadata(timeout: Duration) -> KafkaError? {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        // all_topics = 1: with 0 librdkafka may answer from its cache without asking a broker.
        let code = rd_kafka_metadata(handle, 1, nil, &metadata, Int32(clamping: timeout.milliseconds))
        if let metadata { rd_kafka_metadata_destroy(metadata) }
        return RDKafkaErrorCode.check(code)
    }

    var isConsumerClosed: Bool {
        rd_kafka_consumer_closed(handle) != 0
    }
}
