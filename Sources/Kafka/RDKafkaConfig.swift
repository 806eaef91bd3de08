import CRdKafka

/// An `rd_kafka_conf_t` being built. `rd_kafka_new` takes ownership on success; on every other
/// path `destroy()` must be called.
struct RDKafkaConfig {
    let pointer: OpaquePointer

    /// Applies the properties in name order, so that the first rejected one is reported the same
    /// way every time, then enables the event types the poll thread reads from the queue (no C
    /// callbacks: Swift never runs on a librdkafka thread).
    static func make(_ configuration: KafkaConfiguration, events: Int32) throws(KafkaError) -> RDKafkaConfig {
        let config = RDKafkaConfig(pointer: rd_kafka_conf_new())
        for property in configuration.properties.keys.sorted() {
            do {
                try config.set(property, configuration.properties[property]!)
            } catch {
                config.destroy()
                throw error
            }
        }
        rd_kafka_conf_set_events(config.pointer, events)
        return config
    }

    private func set(_ property: String, _ value: String) throws(KafkaError) {
        var reason = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(pointer, property, value, &reason, reason.count)
        guard result == RD_KAFKA_CONF_OK else {
            throw .invalidConfiguration(property: property, reason: String(cBuffer: reason))
        }
    }

    func destroy() {
        rd_kafka_conf_destroy(pointer)
    }
}

extension String {
    /// A NUL-terminated C string in a buffer that librdkafka filled (`errstr` arguments).
    init(cBuffer: [CChar]) {
        self = cBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
