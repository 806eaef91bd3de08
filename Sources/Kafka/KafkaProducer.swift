import Logging
import NIOCore

/// A Kafka producer for a hot path.
///
/// `produce` enqueues a message (librdkafka copies the bytes) and returns at once; its outcome
/// arrives later, exactly once per accepted token, at the one `deliveryHandler` given at
/// creation. The handler runs on the producer's own poll thread (never on an event loop or the
/// concurrency pool), so it must be quick: hand the token to where it is needed and return.
///
/// Call `shutdown` before dropping the producer: it reports every outstanding token.
public final class KafkaProducer: Sendable {
    public typealias DeliveryHandler = @Sendable (_ token: UInt64, _ result: Result<DeliveredRecord, KafkaError>) -> Void

    /// Tokens above this are reserved for `send`.
    public static let maximumToken: UInt64 = PendingSends.tokenFlag - 1

    private let core: KafkaProducerCore

    /// Creates the producer and starts its poll thread. Throws on a configuration librdkafka
    /// rejects (the error names the property).
    public init(configuration: KafkaConfiguration, logger: Logger, deliveryHandler: @escaping DeliveryHandler) throws(KafkaError) {
        core = try KafkaProducerCore(configuration: configuration, logger: logger, deliveryHandler: deliveryHandler)
        core.startPollThread()
        logger.info("Kafka producer started", metadata: ["kafka.client": "\(core.client.name)", "configuration": "\(configuration)"])
    }

    deinit {
        // Without `shutdown` the poll thread would keep the client alive forever.
        core.requestStop()
    }

    /// Enqueues one message; the bytes are copied before this returns.
    ///
    /// - Parameter timestamp: milliseconds since the epoch; nil lets librdkafka use the current time.
    /// - Throws: `KafkaError` with code `.queueFull` when librdkafka's queue is full
    ///   (`queue.buffering.max.messages`/`.kbytes`): back off until deliveries drain it.
    ///   Nothing is reported for a token whose `produce` threw.
    public func produce(
        topic: String,
        key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer,
        timestamp: Int64? = nil,
        token: UInt64
    ) throws(KafkaError) {
        precondition(token <= Self.maximumToken, "tokens above KafkaProducer.maximumToken are reserved")
        try core.produce(topic: topic, key: key, value: value, timestamp: timestamp, token: token)
    }

    public func produce(topic: String, key: ByteBuffer?, value: ByteBuffer, timestamp: Int64? = nil, token: UInt64) throws(KafkaError) {
        try Self.withBytes(key, value) { (key, value) throws(KafkaError) in
            try produce(topic: topic, key: key, value: value, timestamp: timestamp, token: token)
        }
    }

    public func produce(topic: String, key: [UInt8]?, value: [UInt8], timestamp: Int64? = nil, token: UInt64) throws(KafkaError) {
        try Self.withBytes(key, value) { (key, value) throws(KafkaError) in
            try produce(topic: topic, key: key, value: value, timestamp: timestamp, token: token)
        }
    }

    /// Sends one message and waits for its delivery report: for cold paths (a dead-letter topic).
    /// Uses the same queue and poll thread as `produce`.
    public func send(topic: String, key: [UInt8]?, value: [UInt8], timestamp: Int64? = nil) async throws(KafkaError) -> DeliveredRecord {
        let result = await withCheckedContinuation { (continuation: PendingSends.Continuation) in
            let token = core.pendingSends.register(continuation)
            do throws(KafkaError) {
                try Self.withBytes(key, value) { (key, value) throws(KafkaError) in
                    try core.produce(topic: topic, key: key, value: value, timestamp: timestamp, token: token)
                }
            } catch {
                core.pendingSends.complete(token, with: .failure(error))
            }
        }
        return try result.get()
    }

    /// Throws when no broker answers a metadata request within `timeout` (readiness).
    public func checkBrokers(timeout: Duration) async throws(KafkaError) {
        try await core.client.checkBrokers(timeout: timeout)
    }

    /// Waits until every enqueued message has been delivered or has failed, and its report has
    /// been handed out; throws `.timedOut` when that takes longer than `timeout`.
    public func flush(timeout: Duration) async throws(KafkaError) {
        let client = core.client
        let error = await KafkaPollThread.runBlocking(name: "\(client.name) flush") { client.flush(timeout: timeout) }
        if let error { throw error }
    }

    /// Stops accepting messages, waits up to `timeout` for the outstanding delivery reports, then
    /// purges what is left (those tokens are reported as failed, retriable), and stops the poll
    /// thread. Every token accepted by `produce` has been reported when this returns.
    public func shutdown(timeout: Duration = .seconds(10)) async {
        core.topics.close()
        do {
            try await flush(timeout: timeout)
        } catch {
            core.client.purgeOutstandingMessages()
            try? await flush(timeout: .seconds(5))
        }
        core.requestStop()
        await core.pollThreadFinished.wait()
        core.pendingSends.failAll(with: .shutDown("the producer"))
    }

    private static func withBytes<Bytes>(
        _ key: Bytes?,
        _ value: Bytes,
        _ body: (UnsafeRawBufferPointer?, UnsafeRawBufferPointer) throws(KafkaError) -> Void
    ) throws(KafkaError) where Bytes: KafkaBytes {
        try value.withKafkaBytes { (value) throws(KafkaError) in
            guard let key else { return try body(nil, value) }
            try key.withKafkaBytes { (key) throws(KafkaError) in try body(key, value) }
        }
    }
}
