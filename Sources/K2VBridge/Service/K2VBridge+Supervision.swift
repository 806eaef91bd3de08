import Kafka
import MQTTCore
import ServiceLifecycle

extension K2VBridge {
    /// MQTT up: ready, reading. MQTT down: not ready, no record admitted, fetching paused
    /// (unacknowledged publishes wait in the client and are sent again on the next connection).
    func followConnection(_ events: AsyncStream<MQTTConnectionEvent>, flow: BridgeFlow, consumer: KafkaConsumer) async {
        var connectedBefore = false
        for await event in events {
            switch event {
            case .connected(let sessionPresent):
                if connectedBefore {
                    logger.notice("MQTT reconnected; unacknowledged publishes are sent again", metadata: ["session_present": "\(sessionPresent)"])
                }
                connectedBefore = true
                flow.setConnected(true)
                readiness.markReady("mqtt")
                if !flow.isStopping { consumer.resume() }
            case .disconnected(let error):
                logger.warning("MQTT disconnected; Kafka consumption paused", metadata: ["error": "\(error.map { "\($0)" } ?? "none")"])
                flow.setConnected(false)
                readiness.markNotReady("mqtt")
                consumer.pause()
            case .reconnecting(let attempt, let delay):
                logger.debug("MQTT reconnecting", metadata: ["attempt": "\(attempt)", "delay_ms": "\(delay.nanoseconds / 1_000_000)"])
            }
        }
    }

    /// Kafka is ready while a broker answers a metadata request.
    func checkKafka(_ consumer: KafkaConsumer) async {
        let readiness = self.readiness
        await KafkaReadinessWatch.run(every: configuration.kafkaHealthCheckInterval, logger: logger) { () async throws(KafkaError) in
            try await consumer.checkBrokers(timeout: .seconds(5))
        } update: { ready in
            if ready { readiness.markReady("kafka") } else { readiness.markNotReady("kafka") }
        }
    }

    /// Commits stored offsets every `commitInterval` when there are new ones (librdkafka's own
    /// auto-commit also runs, and commits on revocation).
    func commitPeriodically(_ consumer: KafkaConsumer, flow: BridgeFlow) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.commitInterval)
            // Once stopping, the drain commits; the consumer is closing.
            guard !flow.isStopping else { return }
            if flow.takeStoredSinceCommit() { await commit(consumer) }
        }
    }

    func commit(_ consumer: KafkaConsumer) async {
        do {
            try await consumer.commit()
            metrics.commits.increment()
        } catch {
            metrics.failedCommits.increment()
            logger.warning("Kafka offset commit failed", metadata: ["error": "\(error)"])
        }
    }

    /// On graceful shutdown: stop admitting and fetching, wait for outstanding publishes
    /// (at most `drainTimeout`), commit, and leave the group (which ends the record sequence).
    func drainOnGracefulShutdown(_ consumer: KafkaConsumer, flow: BridgeFlow) async {
        do {
            try await gracefulShutdown()
        } catch {
            return  // Cancelled: the bridge ended otherwise.
        }
        logger.info("stopping: draining outstanding publishes", metadata: ["outstanding": "\(flow.outstanding)"])
        flow.stop()
        consumer.pause()
        if !(await flow.waitUntilDrained(timeout: configuration.drainTimeout)) {
            logger.warning("drain timed out; unacknowledged records will be read again", metadata: ["outstanding": "\(flow.outstanding)"])
        }
        await commit(consumer)
        await consumer.close()
    }
}
