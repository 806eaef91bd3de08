import Metrics

/// The producer's metric objects, created once per producer (never per message). The process
/// chooses the backend (`MetricsSystem.bootstrap`); the library never does.
struct KafkaProducerMetrics: Sendable {
    let deliveredMessages = Counter(label: "kafka_producer_deliveries_total", dimensions: [("result", "success")])
    let failedDeliveries = Counter(label: "kafka_producer_deliveries_total", dimensions: [("result", "failure")])
    let queueFullRejections = Counter(label: "kafka_producer_queue_full_total")
    let errors = Counter(label: "kafka_client_errors_total", dimensions: [("client", "producer")])
    /// Messages in librdkafka's producer queue, from its statistics (`statistics.interval.ms`).
    let queuedMessages = Gauge(label: "kafka_producer_queued_messages")
}

/// The consumer's metric objects, created once per consumer.
struct KafkaConsumerMetrics: Sendable {
    let records = Counter(label: "kafka_consumer_records_total")
    let assignments = Counter(label: "kafka_consumer_rebalances_total", dimensions: [("kind", "assign")])
    let revocations = Counter(label: "kafka_consumer_rebalances_total", dimensions: [("kind", "revoke")])
    let errors = Counter(label: "kafka_client_errors_total", dimensions: [("client", "consumer")])
    let backpressurePauses = Counter(label: "kafka_consumer_backpressure_pauses_total")
    /// Sum of the assigned partitions' lag, from librdkafka's statistics (`statistics.interval.ms`).
    let lag = Gauge(label: "kafka_consumer_lag_messages")
}
