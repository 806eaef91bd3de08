import Metrics

/// The bridge's metric objects, created once (never per message).
struct V2KMetrics: Sendable {
    let received = Counter(label: "v2k_messages_received_total")
    /// Device data Kafka confirmed.
    let produced = Counter(label: "v2k_messages_produced_total")
    let acknowledged = Counter(label: "v2k_messages_acknowledged_total")
    let deadLettered = Counter(label: "v2k_messages_dead_lettered_total")
    let deliveryFailures = Counter(label: "v2k_delivery_failures_total")
    let retries = Counter(label: "v2k_produce_retries_total")
    let queueFull = Counter(label: "v2k_produce_queue_full_total")
    let inflight = Gauge(label: "v2k_inflight_messages")
    /// From produce to delivery report.
    let produceLatency = Timer(label: "v2k_produce_latency", preferredDisplayUnit: .milliseconds)
    private let invalidTopic = Counter(label: "v2k_messages_invalid_total", dimensions: [("reason", "topic")])
    private let invalidJSON = Counter(label: "v2k_messages_invalid_total", dimensions: [("reason", "invalid_json")])
    private let notObject = Counter(label: "v2k_messages_invalid_total", dimensions: [("reason", "not_object")])
    private let kafkaRejected = Counter(label: "v2k_messages_invalid_total", dimensions: [("reason", "kafka_rejected")])

    func invalid(_ label: String) -> Counter {
        switch label {
        case "topic": invalidTopic
        case "not_object": notObject
        case "kafka_rejected": kafkaRejected
        default: invalidJSON
        }
    }
}
