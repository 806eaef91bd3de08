import Kafka
import Logging
import MQTTCore
import NIOCore
import NIOPosix
import ServiceLifecycle
import ServiceRuntime

/// The v2k-bridge: MQTT (a shared subscription on `+/attrs`) to Kafka `<tenant>.device-data`,
/// acknowledging each message to the broker only once Kafka has it.
///
/// A `Service`: `run()` connects, subscribes and forwards until graceful shutdown, then stops
/// taking messages, waits (bounded) for the outstanding delivery reports, acknowledges those,
/// flushes and disconnects. A fatal Kafka error ends `run()` with that error, without
/// acknowledging anything more (the orchestrator restarts the process).
public final class V2KBridge: Service, Sendable {
    public let configuration: V2KConfiguration
    let client: MQTTClient
    let delivery: DeliveryPath
    let readiness: ReadinessState
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    private let fatalErrors: AsyncStream<KafkaError>

    /// Messages acknowledged to the broker after Kafka confirmed them.
    public var acknowledgedCount: Int { delivery.acknowledgedTotal.load(ordering: .relaxed) }

    public static let readinessParts = ["mqtt", "kafka"]

    public init(
        configuration: V2KConfiguration,
        readiness: ReadinessState = ReadinessState(waitingFor: V2KBridge.readinessParts),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) throws {
        self.configuration = configuration
        self.readiness = readiness
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        // One loop for the client, so its reads, acknowledgements and our retries share a thread.
        let eventLoop = eventLoopGroup.next()
        let client = MQTTClient(configuration: try Self.clientConfiguration(configuration, eventLoop: eventLoop), logger: logger)
        self.client = client
        let (fatalErrors, fatalContinuation) = AsyncStream.makeStream(of: KafkaError.self, bufferingPolicy: .bufferingOldest(1))
        self.fatalErrors = fatalErrors
        self.delivery = try DeliveryPath(
            configuration: configuration, acknowledgements: AcknowledgementBatcher(client: client, eventLoop: eventLoop), eventLoop: eventLoop,
            logger: logger, fatalErrors: fatalContinuation
        )
    }

    static func clientConfiguration(_ configuration: V2KConfiguration, eventLoop: any EventLoop) throws -> MQTTClientConfiguration {
        var tls: MQTTClientTLS?
        if configuration.mqttProtocol == .mqtts {
            tls = try MQTTClientTLS.files(
                caFile: configuration.tls.ca, certificateFile: configuration.tls.certificate, keyFile: configuration.tls.key,
                verifyServer: configuration.rejectUnauthorized, verifyHostname: configuration.rejectUnauthorized
            )
        }
        return MQTTClientConfiguration(
            host: configuration.mqttHost,
            port: configuration.mqttPort,
            tls: tls,
            clientID: configuration.clientID,
            cleanSession: false,
            keepAlive: .seconds(Int64(configuration.keepAliveSeconds)),
            username: configuration.username,
            // Read-ahead of a quarter of the window (at most 512): our window decides how much
            // is taken, and what waits here is unacknowledged too; enough keeps the socket flowing.
            inboundBuffer: Self.readAhead(maxInflight: configuration.maxInflight),
            eventLoopGroup: eventLoop
        )
    }

    static func readAhead(maxInflight: Int) -> (low: Int, high: Int) {
        let high = max(min(maxInflight / 4, 512), 2)
        return (low: high / 4, high: high)
    }

    public func run() async throws {
        let subscribed: Bool
        do {
            subscribed = try await cancelWhenGracefulShutdown { try await self.connectAndSubscribe() }
        } catch is CancellationError {
            subscribed = false
        }
        guard subscribed else {
            await stop(drain: false)
            return
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.watchConnection() }
                group.addTask { await self.watchKafka() }
                group.addTask { await self.sampleGauges() }
                group.addTask {
                    for await error in self.fatalErrors { throw V2KBridgeError.fatalKafkaError(error) }
                }
                group.addTask {
                    await cancelWhenGracefulShutdown { await self.consume() }
                    self.logger.info("v2k-bridge stopped taking messages")
                }
                // The first to end is the consumer (graceful shutdown) or the fatal watcher.
                _ = try await group.next()
                group.cancelAll()
            }
        } catch {
            logger.critical("v2k-bridge stops without acknowledging: \(error)")
            await client.shutdown()
            await delivery.shutdown(timeout: .seconds(1))
            throw error
        }
        await stop(drain: true)
    }

    /// The start-up connection, tried until it succeeds (`connect()` makes one attempt; once
    /// connected, the client reconnects by itself), then the subscription.
    private func connectAndSubscribe() async throws -> Bool {
        let sessionPresent = try await client.connectRetrying { error, _, delay in
            logger.warning("MQTT connection failed, retrying", metadata: ["error": "\(error)", "delay": "\(delay)"])
        }
        logger.info(
            "connected to the MQTT broker",
            metadata: [
                "host": "\(configuration.mqttHost)", "port": "\(configuration.mqttPort)", "session_present": "\(sessionPresent)",
            ])
        // A connection lost before SUBACK is no reason to stop: the client reconnects, ask again.
        var granted: SubAckReturnCode
        var attempt = 0
        while true {
            do {
                granted = try await client.subscribe(to: configuration.subscriptionTopic, qos: configuration.subscriptionQoS)
                break
            } catch let error as MQTTClientError {
                let delay = client.configuration.reconnect.delay(attempt: attempt)
                logger.warning("MQTT subscription failed, retrying", metadata: ["error": "\(error)", "delay": "\(delay)"])
                attempt += 1
                try await Task.sleep(for: .nanoseconds(delay.nanoseconds))
            }
        }
        guard case .granted(let qos) = granted else {
            throw V2KBridgeError.subscriptionRefused(configuration.subscriptionTopic)
        }
        logger.info("subscribed", metadata: ["filter": "\(configuration.subscriptionTopic)", "qos": "\(qos.rawValue)"])
        readiness.markReady("mqtt")
        return true
    }

    /// Graceful end: stop retrying, wait for outstanding reports (acknowledging those), flush,
    /// disconnect. What is still unacknowledged then goes to the other members of the group.
    private func stop(drain: Bool) async {
        if drain {
            delivery.ledger.startDraining()
            let pending = delivery.ledger.count
            let drained = await delivery.ledger.waitUntilEmpty(timeout: configuration.drainTimeout)
            logger.info(
                "delivery reports awaited",
                metadata: [
                    "pending_at_stop": "\(pending)", "left_unacknowledged": "\(drained ? 0 : delivery.ledger.count)",
                ])
        }
        await delivery.shutdown(timeout: configuration.flushTimeout)
        // Acknowledgements still gathered leave before DISCONNECT.
        await delivery.acknowledgements.flushNow()
        try? await client.disconnect()
        await client.shutdown()
        readiness.markNotReady("mqtt")
    }

    private func watchConnection() async {
        for await event in client.connectionEvents() {
            switch event {
            case .connected: readiness.markReady("mqtt")
            case .disconnected: readiness.markNotReady("mqtt")
            case .reconnecting: break
            }
        }
    }

    /// Kafka is ready while a broker answers the producer's metadata request.
    private func watchKafka() async {
        let producer = delivery.producer
        let readiness = self.readiness
        await KafkaReadinessWatch.run(every: configuration.kafkaHealthInterval, logger: logger) { () async throws(KafkaError) in
            try await producer.checkBrokers(timeout: .seconds(2))
        } update: { ready in
            if ready { readiness.markReady("kafka") } else { readiness.markNotReady("kafka") }
        }
    }

    private func sampleGauges() async {
        while !Task.isCancelled {
            delivery.metrics.inflight.record(delivery.ledger.count)
            try? await Task.sleep(for: .seconds(1))
        }
    }
}

public enum V2KBridgeError: Error, CustomStringConvertible {
    case subscriptionRefused(String)
    case fatalKafkaError(KafkaError)

    public var description: String {
        switch self {
        case .subscriptionRefused(let filter): "the broker refused the subscription to \(filter)"
        case .fatalKafkaError(let error): "fatal Kafka producer error: \(error)"
        }
    }
}
