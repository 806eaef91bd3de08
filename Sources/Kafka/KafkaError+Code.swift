import CRdKafka

extension KafkaError.Code {
    public static let queueFull = Self(rawValue: RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue)
    public static let messageTimedOut = Self(rawValue: RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue)
    public static let timedOut = Self(rawValue: RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue)
    public static let transport = Self(rawValue: RD_KAFKA_RESP_ERR__TRANSPORT.rawValue)
    public static let allBrokersDown = Self(rawValue: RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue)
    public static let invalidArgument = Self(rawValue: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue)
    public static let destroyed = Self(rawValue: RD_KAFKA_RESP_ERR__DESTROY.rawValue)
    public static let state = Self(rawValue: RD_KAFKA_RESP_ERR__STATE.rawValue)
    public static let noOffset = Self(rawValue: RD_KAFKA_RESP_ERR__NO_OFFSET.rawValue)
    public static let purgedFromQueue = Self(rawValue: RD_KAFKA_RESP_ERR__PURGE_QUEUE.rawValue)
    public static let purgedInFlight = Self(rawValue: RD_KAFKA_RESP_ERR__PURGE_INFLIGHT.rawValue)
    public static let fatal = Self(rawValue: RD_KAFKA_RESP_ERR__FATAL.rawValue)

    /// Whether a plain response code (one without an `rd_kafka_error_t`, which would carry
    /// librdkafka's own verdict) is worth retrying.
    ///
    /// librdkafka has no per-code retriability function, so this follows Kafka's protocol
    /// (the codes its Java client marks `RetriableException`) plus librdkafka's local conditions
    /// that clear up by themselves: timeouts, a full local queue, lost connections, purges during
    /// an outage. Configuration, authorization and fatal errors are not retriable.
    var isRetriableByDefault: Bool {
        Self.retriableCodes.contains(rawValue)
    }

    private static let retriableCodes: Set<Int32> = [
        // librdkafka local conditions.
        RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__TIMED_OUT,
        RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE, RD_KAFKA_RESP_ERR__QUEUE_FULL,
        RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
        RD_KAFKA_RESP_ERR__RESOLVE, RD_KAFKA_RESP_ERR__WAIT_COORD,
        RD_KAFKA_RESP_ERR__PURGE_QUEUE, RD_KAFKA_RESP_ERR__PURGE_INFLIGHT,
        RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, RD_KAFKA_RESP_ERR__NODE_UPDATE,
        // Kafka protocol errors that Kafka itself marks retriable.
        RD_KAFKA_RESP_ERR_INVALID_MSG, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
        RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR,
        RD_KAFKA_RESP_ERR_FETCH_SESSION_ID_NOT_FOUND, RD_KAFKA_RESP_ERR_INVALID_FETCH_SESSION_EPOCH,
        RD_KAFKA_RESP_ERR_LISTENER_NOT_FOUND, RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH,
        RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH, RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED,
        RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS, RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT,
    ].reduce(into: Set<Int32>()) { $0.insert($1.rawValue) }
}
