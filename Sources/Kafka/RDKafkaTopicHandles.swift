import CRdKafka
import NIOConcurrencyHelpers

/// The producer's topic handles, created once per topic name (`rd_kafka_topic_new`) and kept
/// until the producer goes, and the producer's open/closed state.
///
/// Producing happens under the same lock as the closed check, so that no message can be
/// enqueued after shutdown has stopped the thread that reports deliveries: every accepted token
/// then gets exactly one report. `rd_kafka_produceva` only enqueues, so the lock is short.
final class RDKafkaTopicHandles: Sendable {
    /// `@unchecked Sendable`: an `rd_kafka_topic_t` may be used from any thread (librdkafka).
    private struct Handle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private struct State {
        var isClosed = false
        var handles: [String: Handle] = [:]
    }

    private let client: RDKafkaClient
    private let state = NIOLockedValueBox(State())

    init(client: RDKafkaClient) {
        self.client = client
    }

    deinit {
        state.withLockedValue { state in
            for handle in state.handles.values { rd_kafka_topic_destroy(handle.pointer) }
        }
    }

    /// From now on `withOpenTopic` throws.
    func close() {
        state.withLockedValue { $0.isClosed = true }
    }

    /// Runs `body` with the topic's handle while the producer is open.
    func withOpenTopic<Value>(
        _ topic: String,
        _ body: (OpaquePointer) -> Value
    ) throws(KafkaError) -> Value {
        try state.withLockedValue { state -> Result<Value, KafkaError> in
            guard !state.isClosed else { return .failure(.shutDown("the producer")) }
            if let handle = state.handles[topic] {
                return .success(body(handle.pointer))
            }
            guard let pointer = rd_kafka_topic_new(client.handle, topic, nil) else {
                let code = rd_kafka_last_error().rawValue
                return .failure(.fromCode(code, message: "cannot create a handle for topic \(topic)"))
            }
            state.handles[topic] = Handle(pointer: pointer)
            return .success(body(pointer))
        }.get()
    }
}
