import NIOCore

/// One consumed Kafka record.
public struct KafkaRecord: Sendable, Hashable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    public let key: ByteBuffer?
    public let value: ByteBuffer
    /// Milliseconds since the epoch, nil when the record has none.
    public let timestamp: Int64?

    public init(topic: String, partition: Int32, offset: Int64, key: ByteBuffer?, value: ByteBuffer, timestamp: Int64?) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestamp = timestamp
    }
}
