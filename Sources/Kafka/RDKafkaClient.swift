import CRdKafka
import Synchronization

/// Owns one `rd_kafka_t` and destroys it when the last reference goes.
///
/// `@unchecked Sendable`: librdkafka documents its handle API as thread-safe, and this class
/// stores nothing but the immutable handle pointer.
final class RDKafkaClient: @unchecked Sendable {
    enum Role: String, Sendable {
        case producer
        case consumer
    }

    let handle: OpaquePointer
    let role: Role
    /// librdkafka's instance name (`client.id#role-N`), for logs.
    let name: String
    /// Set when a consumer gave up leaving its group (Kafka unreachable): destroying the handle
    /// must then not try to close the consumer again, which would block for as long.
    let skipConsumerCloseOnDestroy = Atomic<Bool>(false)

    /// librdkafka's own log lines arrive as LOG events on the client's event queue (instead of
    /// being printed to stderr by librdkafka's default log callback), so that they go through
    /// swift-log from the poll thread.
    init(role: Role, configuration: KafkaConfiguration, events: Int32) throws(KafkaError) {
        var configuration = configuration
        configuration["log.queue"] = "true"
        let config = try RDKafkaConfig.make(configuration, events: events | RD_KAFKA_EVENT_LOG)
        var reason = [CChar](repeating: 0, count: 512)
        let type = role == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let handle = rd_kafka_new(type, config.pointer, &reason, reason.count) else {
            config.destroy()  // rd_kafka_new takes the configuration only on success.
            throw KafkaError(code: .invalidArgument, message: String(cBuffer: reason), isRetriable: false)
        }
        rd_kafka_set_log_queue(handle, nil)  // nil: the main queue.
        self.handle = handle
        self.role = role
        self.name = String(cString: rd_kafka_name(handle))
    }

    deinit {
        if skipConsumerCloseOnDestroy.load(ordering: .acquiring) {
            rd_kafka_destroy_flags(handle, 0x8)  // RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE (a macro)
        } else {
            rd_kafka_destroy(handle)
        }
    }

    /// The queue every enabled event arrives on. For a consumer the main queue is forwarded to the
    /// consumer queue first, so that messages, rebalances, errors and statistics come from one
    /// queue on one thread.
    func makeEventQueue() -> RDKafkaQueue {
        switch role {
        case .producer:
            return RDKafkaQueue(client: self, pointer: rd_kafka_queue_get_main(handle))
        case .consumer:
            rd_kafka_poll_set_consumer(handle)
            return RDKafkaQueue(client: self, pointer: rd_kafka_queue_get_consumer(handle))
        }
    }

    /// The fatal error raised on this instance (idempotence or transaction violations).
    func fatalError() -> KafkaError? {
        var reason = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(handle, &reason, reason.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError(code: .init(rawValue: code.rawValue), message: String(cBuffer: reason), isFatal: true)
    }
}

/// One `rd_kafka_queue_t` reference. It keeps its client alive so that it is destroyed first.
///
/// `@unchecked Sendable`: only the poll thread polls; `wakeUp` (`rd_kafka_queue_yield`) is meant
/// to be called from other threads; the pointer never changes.
final class RDKafkaQueue: @unchecked Sendable {
    let client: RDKafkaClient
    let pointer: OpaquePointer

    init(client: RDKafkaClient, pointer: OpaquePointer) {
        self.client = client
        self.pointer = pointer
    }

    deinit {
        rd_kafka_queue_destroy(pointer)
    }

    /// Waits up to `timeoutMilliseconds` for one event and passes it to `body`; the event is
    /// destroyed afterwards, so nothing borrowed from it may escape `body`.
    /// Returns false when no event came.
    @discardableResult
    func pollEvent(timeoutMilliseconds: Int32, _ body: (RDKafkaEvent) -> Void) -> Bool {
        guard let event = rd_kafka_queue_poll(pointer, timeoutMilliseconds) else { return false }
        defer { rd_kafka_event_destroy(event) }
        body(RDKafkaEvent(pointer: event))
        return true
    }

    /// Makes a blocked `pollEvent` return now (used to apply pause/resume or close promptly).
    func wakeUp() {
        rd_kafka_queue_yield(pointer)
    }
}
