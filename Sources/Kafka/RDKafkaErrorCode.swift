import CRdKafka

/// The C side of `KafkaError`: names, descriptions and `rd_kafka_error_t` objects.
enum RDKafkaErrorCode {
    static func name(of code: Int32) -> String {
        String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue: code)))
    }

    static func description(of code: Int32) -> String {
        String(cString: rd_kafka_err2str(rd_kafka_resp_err_t(rawValue: code)))
    }

    /// Converts and destroys an `rd_kafka_error_t`, keeping librdkafka's fatal and retriable
    /// verdicts. librdkafka only sets `retriable` where it knows better (transactions, produceva
    /// argument checks); a code that is transient by nature stays retriable here too.
    static func consume(_ error: OpaquePointer) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        let code = KafkaError.Code(rawValue: rd_kafka_error_code(error).rawValue)
        let isFatal = rd_kafka_error_is_fatal(error) != 0
        return KafkaError(
            code: code,
            message: String(cString: rd_kafka_error_string(error)),
            isFatal: isFatal,
            isRetriable: !isFatal && (rd_kafka_error_is_retriable(error) != 0 || code.isRetriableByDefault)
        )
    }

    /// A plain `rd_kafka_resp_err_t` return value, or nil for `RD_KAFKA_RESP_ERR_NO_ERROR`.
    static func check(_ code: rd_kafka_resp_err_t) -> KafkaError? {
        code == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError.fromCode(code.rawValue)
    }
}
