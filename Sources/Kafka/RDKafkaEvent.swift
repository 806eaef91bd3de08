import CRdKafka

/// A borrowed `rd_kafka_event_t`, valid only inside `RDKafkaQueue.pollEvent`.
struct RDKafkaEvent {
    enum Kind {
        case deliveryReports
        case message
        case rebalance
        case offsetCommit
        case error
        case statistics
        case log
        case other(Int32)
    }

    let pointer: OpaquePointer

    var kind: Kind {
        switch rd_kafka_event_type(pointer) {
        case RD_KAFKA_EVENT_DR: .deliveryReports
        case RD_KAFKA_EVENT_FETCH: .message
        case RD_KAFKA_EVENT_REBALANCE: .rebalance
        case RD_KAFKA_EVENT_OFFSET_COMMIT: .offsetCommit
        case RD_KAFKA_EVENT_ERROR: .error
        case RD_KAFKA_EVENT_STATS: .statistics
        case RD_KAFKA_EVENT_LOG: .log
        case let other: .other(other)
        }
    }

    /// Each message of a delivery-report event (or the one message of a fetch event).
    func forEachMessage(_ body: (UnsafePointer<rd_kafka_message_t>) -> Void) {
        while let message = rd_kafka_event_message_next(pointer) {
            body(message)
        }
    }

    /// The error of an error, rebalance or offset-commit event, nil when there is none.
    /// Rebalance events use `_ASSIGN_PARTITIONS` / `_REVOKE_PARTITIONS` here.
    var errorCode: rd_kafka_resp_err_t {
        rd_kafka_event_error(pointer)
    }

    var error: KafkaError? {
        let code = errorCode
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        let isFatal = rd_kafka_event_error_is_fatal(pointer) != 0
        return KafkaError(
            code: .init(rawValue: code.rawValue),
            message: String(cString: rd_kafka_event_error_string(pointer)),
            isFatal: isFatal
        )
    }

    /// The JSON document of a statistics event.
    var statisticsJSON: String? {
        rd_kafka_event_stats(pointer).map { String(cString: $0) }
    }

    /// The syslog level (0 emergency ... 7 debug), facility and text of a log event.
    var logLine: (level: Int32, facility: String, message: String)? {
        var facility: UnsafePointer<CChar>?
        var message: UnsafePointer<CChar>?
        var level: Int32 = 0
        guard rd_kafka_event_log(pointer, &facility, &message, &level) == 0 else { return nil }
        return (level, facility.map { String(cString: $0) } ?? "", message.map { String(cString: $0) } ?? "")
    }

    /// The partitions of a rebalance or offset-commit event, owned by the event.
    var topicPartitionList: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>? {
        rd_kafka_event_topic_partition_list(pointer)
    }
}
