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

    /// Commits the stored offsets and waits at most `timeout` for the result; nothing to commit
    /// is no error. The result comes through a queue of its own, because librdkafka's synchronous
    /// commit waits forever while Kafka is unreachable. Blocks: call it on a thread of its own.
    func commitStoredOffsets(timeout: Duration) -> KafkaError? {
        guard let queue = rd_kafka_queue_new(handle) else { return RDKafkaErrorCode.check(RD_KAFKA_RESP_ERR__FAIL) }
        defer { rd_kafka_queue_destroy(queue) }
        let code = rd_kafka_commit_queue(handle, nil, queue, nil, nil)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            return code == RD_KAFKA_RESP_ERR__NO_OFFSET ? nil : RDKafkaErrorCode.check(code)
        }
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard let event = rd_kafka_queue_poll(queue, milliseconds) else {
            return RDKafkaErrorCode.check(RD_KAFKA_RESP_ERR__TIMED_OUT)
        }
        defer { rd_kafka_event_destroy(event) }
        let result = rd_kafka_event_error(event)
        return result == RD_KAFKA_RESP_ERR__NO_OFFSET ? nil : RDKafkaErrorCode.check(result)
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

    /// The readiness probe of producers and consumers alike: `requestMetadata` on a short-lived
    /// thread, not the caller's; throws when no broker answered within `timeout`.
    func checkBrokers(timeout: Duration) async throws(KafkaError) {
        let error = await KafkaPollThread.runBlocking(name: "\(name) metadata") { self.requestMetadata(timeout: timeout) }
        if let error { throw error }
    }

    var isConsumerClosed: Bool {
        rd_kafka_consumer_closed(handle) != 0
    }
}
