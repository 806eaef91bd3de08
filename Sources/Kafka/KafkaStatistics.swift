import Foundation

/// The few fields of librdkafka's statistics JSON (STATISTICS.md) that become gauges.
struct KafkaStatistics: Decodable {
    struct Topic: Decodable {
        let partitions: [String: Partition]?
    }

    struct Partition: Decodable {
        /// -1 when unknown, and for librdkafka's internal unassigned partition.
        let consumerLag: Int64?

        enum CodingKeys: String, CodingKey {
            case consumerLag = "consumer_lag"
        }
    }

    /// Messages in the producer queue, waiting or in flight.
    let queuedMessages: Int64?
    let topics: [String: Topic]?

    enum CodingKeys: String, CodingKey {
        case queuedMessages = "msg_cnt"
        case topics
    }

    static func decode(_ json: String) -> KafkaStatistics? {
        try? JSONDecoder().decode(KafkaStatistics.self, from: Data(json.utf8))
    }

    /// Total lag of the partitions with a known lag.
    var consumerLag: Int64 {
        (topics ?? [:]).values.reduce(0) { total, topic in
            total + (topic.partitions ?? [:]).values.reduce(0) { $0 + max($1.consumerLag ?? 0, 0) }
        }
    }
}
