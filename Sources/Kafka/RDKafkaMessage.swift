import CRdKafka
import NIOCore

enum RDKafkaMessage {
    /// Copies a consumed message out of librdkafka's memory (which goes with its event).
    static func record(from message: UnsafePointer<rd_kafka_message_t>) -> KafkaRecord {
        let m = message.pointee
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return KafkaRecord(
            topic: String(cString: rd_kafka_topic_name(m.rkt)),
            partition: m.partition,
            offset: m.offset,
            key: m.key.map { ByteBuffer(bytes: UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
            value: ByteBuffer(bytes: UnsafeRawBufferPointer(start: m.payload, count: m.payload == nil ? 0 : m.len)),
            timestamp: timestamp >= 0 ? timestamp : nil
        )
    }

    /// The error a consumed message carries instead of data (a topic or partition problem).
    static func error(of message: UnsafePointer<rd_kafka_message_t>) -> KafkaError? {
        let code = message.pointee.err
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        let text = rd_kafka_message_errstr(message).map { String(cString: $0) }
        return KafkaError.fromCode(code.rawValue, message: text)
    }
}
