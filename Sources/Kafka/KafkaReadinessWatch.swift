import Logging

/// Kafka's part of a service's `/ready`, the same way for every client: ready while a broker
/// answers a metadata request (not merely accepts TCP: a broker that is starting, or a port
/// forward with nothing behind it, accepts connections but answers nothing).
public enum KafkaReadinessWatch {
    /// Until the task is cancelled: `check` every `interval`, `update` with each result; a change
    /// is logged once (unreachable as a warning with the error, back as info).
    public static func run(
        every interval: Duration,
        logger: Logger,
        check: @Sendable () async throws(KafkaError) -> Void,
        update: @Sendable (_ ready: Bool) -> Void
    ) async {
        var wasReady: Bool?
        while !Task.isCancelled {
            var ready = true
            do {
                try await check()
            } catch {
                ready = false
                if wasReady != false { logger.warning("Kafka unreachable", metadata: ["error": "\(error)"]) }
            }
            update(ready)
            if ready && wasReady == false { logger.info("Kafka reachable again") }
            wasReady = ready
            try? await Task.sleep(for: interval)
        }
    }
}
