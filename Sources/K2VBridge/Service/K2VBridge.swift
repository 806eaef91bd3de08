import Kafka
import Logging
import MQTTCore
import NIOCore
import NIOPosix
import ServiceLifecycle
import ServiceRuntime

/// Kafka device-manager events -> device configuration over MQTT, at least once.
///
/// `run()` connects to the broker, then joins the consumer group. Each `configure` record becomes
/// a QoS 1 PUBLISH to `T:D/config`; its offset is stored only after the PUBACK and once every
/// earlier record of its partition is done (`BridgeFlow`). Reading stops while MQTT is down or
/// `maxInflight` records are outstanding. Order per device holds because a device's records are
/// in one partition, read in order, and published in that order on one connection whose client
/// resends unacknowledged publishes in their order after a reconnect.
/// Graceful shutdown: stop reading, wait for outstanding publishes (bounded), commit, leave.
public final class K2VBridge: Service {
    let configuration: K2VConfiguration
    let client: MQTTClient
    let readiness: ReadinessState
    let metrics = K2VMetrics()
    let decoder: DeviceManagerRecordDecoder
    let logger: Logger

    /// - Throws: when the TLS files cannot be loaded.
    public init(
        configuration: K2VConfiguration,
        readiness: ReadinessState = ReadinessState(waitingFor: ["kafka", "mqtt"]),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "k2v-bridge")
    ) throws {
        self.configuration = configuration
        self.readiness = readiness
        self.logger = logger
        self.decoder = DeviceManagerRecordDecoder(
            events: Set(configuration.events), maxPayloadBytes: configuration.maxPayloadBytes,
            maxPacketBytes: configuration.maxPacketBytes, qos: configuration.publishQoS, topicSuffix: "." + configuration.topicSuffix
        )
        self.client = MQTTClient(configuration: try configuration.mqttClientConfiguration(eventLoopGroup: eventLoopGroup), logger: logger)
        if configuration.mqttProtocol == .mqtt {
            logger.warning("plain MQTT (K2V_MQTT_PROTOCOL=mqtt): no TLS; the dojot broker refuses service identities there")
        } else if !configuration.rejectUnauthorized {
            logger.warning("the broker's certificate is not verified (K2V_MQTT_REJECT_UNAUTHORIZED=false)")
        }
    }

    public func run() async throws {
        // Observed from before the first CONNACK, so that no connection event is missed.
        let events = client.connectionEvents()
        guard await connectFirstTime() else {
            await client.shutdown()
            return
        }
        let consumer = try KafkaConsumer(
            configuration: configuration.kafka,
            topics: [configuration.topicPattern],
            lowWatermark: 100,
            highWatermark: 500,
            logger: logger
        )
        let flow = BridgeFlow(maxOutstanding: configuration.maxInflight) { [logger] partition, offset in
            Self.store(partition, offset: offset, in: consumer, logger: logger)
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.followConnection(events, flow: flow, consumer: consumer) }
                group.addTask { await self.checkKafka(consumer) }
                group.addTask { await self.commitPeriodically(consumer, flow: flow) }
                group.addTask { await self.drainOnGracefulShutdown(consumer, flow: flow) }
                try await self.consume(consumer, flow: flow)
                group.cancelAll()
            }
        } catch {
            await consumer.close()
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        logger.info("k2v-bridge stopped", metadata: ["outstanding": "\(flow.outstanding)"])
    }

    /// Retries with the reconnect policy's backoff until connected; false on shutdown.
    private func connectFirstTime() async -> Bool {
        let broker = "\(configuration.mqttHost):\(configuration.mqttPort)"
        let sessionPresent = try? await cancelWhenGracefulShutdown {
            try await self.client.connectRetrying { error, attempt, _ in
                self.logger.warning("MQTT connection failed, retrying", metadata: ["broker": "\(broker)", "error": "\(error)", "attempt": "\(attempt)"])
            }
        }
        guard let sessionPresent else { return false }
        logger.info("MQTT connected", metadata: ["broker": "\(broker)", "session_present": "\(sessionPresent)"])
        return true
    }

    private static func store(_ partition: PartitionID, offset: Int64, in consumer: KafkaConsumer, logger: Logger) {
        let record = KafkaRecord(topic: partition.topic, partition: partition.partition, offset: offset, key: nil, value: ByteBuffer(), timestamp: nil)
        do {
            try consumer.storeOffset(record)
        } catch  where error.code == .state {
            // Revoked meanwhile: its new owner reads these records again (at least once).
            logger.debug("offset not stored: partition no longer assigned", metadata: ["partition": "\(partition)", "offset": "\(offset)"])
        } catch {
            logger.warning("offset not stored", metadata: ["partition": "\(partition)", "offset": "\(offset)", "error": "\(error)"])
        }
    }
}
