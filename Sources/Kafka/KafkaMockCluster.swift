/// librdkafka's in-process mock Kafka cluster, for tests and local runs: a real Kafka-protocol
/// server on 127.0.0.1 (random ports) that any Kafka client, in this process or another, can use.
///
/// Limits (librdkafka 2.0.2; its mock API has no retention settings): in memory only; each
/// partition keeps about 5 MiB or 100 000 message sets and silently drops older data, so keep the
/// volume per partition under that or use more partitions; topics are auto-created with
/// 4 partitions; no CreateTopics admin request; a group member that leaves without a
/// LeaveGroup is replaced only after its `session.timeout.ms`.
public final class KafkaMockCluster: Sendable {
    /// `host:port,...` for `bootstrap.servers`.
    public let bootstrapServers: String
    public let brokerCount: Int
    private let cluster: RDKafkaMockCluster

    public init(brokers: Int = 1) throws(KafkaError) {
        precondition(brokers >= 1, "a cluster needs at least one broker")
        cluster = try RDKafkaMockCluster(brokers: brokers)
        bootstrapServers = cluster.bootstrapServers
        brokerCount = brokers
    }

    /// Creates `topic` with `partitions` partitions (replication factor 1).
    public func createTopic(_ topic: String, partitions: Int) throws(KafkaError) {
        try cluster.createTopic(topic, partitions: Int32(partitions))
    }

    /// Takes every broker down (connections closed, new ones refused) or brings them back.
    /// Clients see an outage and reconnect after it; the data survives.
    public func setAvailable(_ available: Bool) throws(KafkaError) {
        for broker in 1...brokerCount {
            try cluster.setBroker(Int32(broker), up: available)
        }
    }
}
