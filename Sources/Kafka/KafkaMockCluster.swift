import CRdKafka

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

/// Owns the mock cluster and the `rd_kafka_t` it needs for its bookkeeping.
///
/// `@unchecked Sendable`: the mock API posts each call to the cluster's own thread, so it is
/// safe from any thread; the stored pointers never change.
final class RDKafkaMockCluster: @unchecked Sendable {
    private let client: RDKafkaClient
    private let pointer: OpaquePointer
    let bootstrapServers: String

    init(brokers: Int) throws(KafkaError) {
        // The handle only hosts the cluster; it never connects anywhere, so it logs nothing.
        client = try RDKafkaClient(role: .producer, configuration: KafkaConfiguration(["log_level": "0"]), events: 0)
        guard let pointer = rd_kafka_mock_cluster_new(client.handle, Int32(brokers)) else {
            throw KafkaError(code: .invalidArgument, message: "cannot start a mock cluster with \(brokers) brokers", isRetriable: false)
        }
        self.pointer = pointer
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(pointer))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(pointer)
    }

    func createTopic(_ topic: String, partitions: Int32) throws(KafkaError) {
        if let error = RDKafkaErrorCode.check(rd_kafka_mock_topic_create(pointer, topic, partitions, 1)) { throw error }
    }

    func setBroker(_ id: Int32, up: Bool) throws(KafkaError) {
        let code = up ? rd_kafka_mock_broker_set_up(pointer, id) : rd_kafka_mock_broker_set_down(pointer, id)
        if let error = RDKafkaErrorCode.check(code) { throw error }
    }
}
