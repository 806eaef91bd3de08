import MQTTCore

/// A message produced to Kafka whose delivery report has not come yet.
struct PendingDelivery: Sendable {
    enum Kind: Sendable {
        /// Device data to `<tenant>.<suffix>`.
        case deviceData(timestamp: Int64)
        /// The raw bytes of an invalid message, to the dead-letter topic.
        case deadLetter
    }

    /// Acknowledged (QoS 1/2) when Kafka has it.
    let message: MQTTInboundMessage
    let kind: Kind
    /// Produce attempts so far.
    var attempts: Int
    /// When the first attempt was made (`DispatchTime` uptime nanoseconds), for the latency.
    let startedAt: UInt64
}
