/// Where Kafka stored a produced message. Plain values only: building it allocates nothing.
public struct DeliveredRecord: Sendable, Hashable {
    public let partition: Int32
    public let offset: Int64
    /// Milliseconds since the epoch, nil when the broker did not say.
    public let timestamp: Int64?

    public init(partition: Int32, offset: Int64, timestamp: Int64?) {
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
    }
}
