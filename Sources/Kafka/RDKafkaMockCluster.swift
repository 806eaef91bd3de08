import CRdKafka

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
