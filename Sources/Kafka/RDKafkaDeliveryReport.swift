import CRdKafka

enum RDKafkaDeliveryReport {
    /// The token and outcome of one message of a delivery-report event. Success allocates
    /// nothing; a failure builds a `KafkaError` (strings), which is fine on that path.
    static func read(
        _ message: UnsafePointer<rd_kafka_message_t>,
        client: RDKafkaClient
    ) -> (token: UInt64, result: Result<DeliveredRecord, KafkaError>) {
        let token = UInt64(UInt(bitPattern: message.pointee._private))
        let code = message.pointee.err
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            // A fatal producer error fails messages with `_FATAL`; the real cause is kept apart.
            let error =
                code == RD_KAFKA_RESP_ERR__FATAL
                ? (client.fatalError() ?? KafkaError.fromCode(code.rawValue))
                : KafkaError.fromCode(code.rawValue)
            return (token, .failure(error))
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        let record = DeliveredRecord(
            partition: message.pointee.partition,
            offset: message.pointee.offset,
            timestamp: timestamp >= 0 ? timestamp : nil
        )
        return (token, .success(record))
    }
}
