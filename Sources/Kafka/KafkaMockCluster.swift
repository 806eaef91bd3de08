import NIOConcurrencyHelpers

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
    /// While the brokers are down, sockets bound to their ports (see `setAvailable`).
    private let heldPorts = NIOLockedValueBox<[PortReservation]>([])

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
    ///
    /// A broker that comes back listens on its old port again, and librdkafka aborts the whole
    /// process if that port was taken meanwhile (any outgoing connection may be given it as its
    /// local port). So while the brokers are down their ports are held by sockets bound to them
    /// (not listening: clients are still refused), which the kernel never gives to outgoing
    /// connections; they are released just before the brokers come back.
    public func setAvailable(_ available: Bool) throws(KafkaError) {
        if available { heldPorts.withLockedValue { $0.removeAll() } }
        for broker in 1...brokerCount {
            try cluster.setBroker(Int32(broker), up: available)
        }
        if !available {
            let ports = bootstrapServers.split(separator: ",").compactMap { $0.split(separator: ":").last.flatMap { Int($0) } }
            heldPorts.withLockedValue { held in held = ports.compactMap { PortReservation(port: $0) } }
        }
    }
}
