import CRdKafka

/// Consumer operations on topic-partition lists. All of them only enqueue work for librdkafka's
/// threads, so they are quick.
enum RDKafkaPartitions {
    typealias List = UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    /// Stores `offset + 1` (the next offset to read, as Kafka commits it) for auto-commit.
    static func storeOffset(client: RDKafkaClient, topic: String, partition: Int32, offset: Int64) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(1)!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, topic, partition).pointee.offset = offset + 1
        if let error = RDKafkaErrorCode.check(rd_kafka_offsets_store(client.handle, list)) { throw error }
        let code = list.pointee.elems[0].err
        if let error = RDKafkaErrorCode.check(code) { throw error }
    }

    static func subscribe(client: RDKafkaClient, topics: [String]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics {
            rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        }
        if let error = RDKafkaErrorCode.check(rd_kafka_subscribe(client.handle, list)) { throw error }
    }

    /// Pauses or resumes every currently assigned partition.
    static func setAssignmentPaused(client: RDKafkaClient, _ paused: Bool) -> KafkaError? {
        var list: List?
        if let error = RDKafkaErrorCode.check(rd_kafka_assignment(client.handle, &list)) { return error }
        guard let list else { return nil }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return setPaused(client: client, list, paused)
    }

    static func setPaused(client: RDKafkaClient, _ list: List, _ paused: Bool) -> KafkaError? {
        guard list.pointee.cnt > 0 else { return nil }
        let code = paused ? rd_kafka_pause_partitions(client.handle, list) : rd_kafka_resume_partitions(client.handle, list)
        return RDKafkaErrorCode.check(code)
    }

    /// librdkafka's rebalance protocol for the current assignment strategy: cooperative
    /// strategies add and remove partitions incrementally, eager ones replace the assignment.
    static func isCooperative(client: RDKafkaClient) -> Bool {
        guard let name = rd_kafka_rebalance_protocol(client.handle) else { return false }
        return String(cString: name) == "COOPERATIVE"
    }

    static func assign(client: RDKafkaClient, _ list: List) -> KafkaError? {
        if isCooperative(client: client) {
            return rd_kafka_incremental_assign(client.handle, list).map(RDKafkaErrorCode.consume)
        }
        return RDKafkaErrorCode.check(rd_kafka_assign(client.handle, list))
    }

    static func revoke(client: RDKafkaClient, _ list: List) -> KafkaError? {
        if isCooperative(client: client) {
            return rd_kafka_incremental_unassign(client.handle, list).map(RDKafkaErrorCode.consume)
        }
        return unassignAll(client: client)
    }

    /// After a failed rebalance librdkafka expects the application to drop its assignment.
    static func unassignAll(client: RDKafkaClient) -> KafkaError? {
        RDKafkaErrorCode.check(rd_kafka_assign(client.handle, nil))
    }

    /// "topic[partition], ..." for logs.
    static func describe(_ list: List) -> String {
        (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            return "\(String(cString: element.topic))[\(element.partition)]"
        }.joined(separator: ", ")
    }
}
