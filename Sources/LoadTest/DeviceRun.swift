import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `loadtest run`: connects the devices at the configured rate, lets them publish for the
/// duration, drains acknowledgements, waits for Kafka to show every acknowledged message (and
/// devices every config event), disconnects, and sums it all up.
public struct DeviceRun: Sendable {
    public let configuration: RunConfiguration
    let logger: Logger
    /// Where the progress line goes (stdout in the executable).
    let progressOutput: @Sendable (String) -> Void
    private let stopRequested = NIOLockedValueBox(false)

    public init(
        configuration: RunConfiguration, logger: Logger,
        progressOutput: @escaping @Sendable (String) -> Void = { text in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.progressOutput = progressOutput
    }

    /// Ends the connect and publish phases early (SIGINT/SIGTERM); draining, the grace period
    /// and the summary still happen.
    public func requestStop() {
        self.stopRequested.withLockedValue { $0 = true }
    }

    private var isStopRequested: Bool { self.stopRequested.withLockedValue { $0 } }

    public var deviceIDs: [String] { (0..<configuration.devices).map { "\(configuration.devicePrefix)\($0)" } }

    public func run() async throws -> RunSummary {
        let c = self.configuration
        let ids = self.deviceIDs
        var tls: DeviceTLSContexts?
        if case .mutualTLS(let certificates) = c.transport {
            try await certificates.prepare(ids: ids, tenant: c.tenant, logger: self.logger)
            tls = try certificates.contextFactory(verifyHostname: c.verifyHostname)
        }
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let format = PayloadFormat(run: run, template: c.template, payloadSize: c.payloadSize)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: c.threads)
        do {
            let summary = try await self.run(group: group, format: format, tls: tls, ids: ids)
            try? await group.shutdownGracefully()
            return summary
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func run(group: MultiThreadedEventLoopGroup, format: PayloadFormat, tls: DeviceTLSContexts?, ids: [String]) async throws -> RunSummary {
        let c = self.configuration
        let run = format.run
        let runner = try LoadRunner(target: .init(host: c.host, port: c.port), group: group)

        var tracker: KafkaTracker?
        var configProducer: ConfigEventProducer?
        if let brokers = c.kafkaBrokers {
            let tenant = c.tenant
            let prefix = c.devicePrefix
            tracker = try KafkaTracker(
                brokers: brokers, topic: c.dataTopic, run: run, extra: c.kafkaConsumer,
                expectedKey: { "\(tenant):\(prefix)\($0)" }, logger: self.logger)
            try await runner.trackAcknowledgedKeys()
            if c.configInterval != nil {
                configProducer = try ConfigEventProducer(brokers: brokers, tenant: c.tenant, topic: c.configTopic, format: format, extra: c.kafkaProducer, logger: self.logger)
            }
        }
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            if let tracker {
                tasks.addTask { await tracker.consume() }
            }
            do {
                let summary = try await self.drive(
                    runner: runner, format: format, tls: tls, ids: ids, tracker: tracker,
                    configProducer: configProducer)
                await tracker?.close()
                await configProducer?.shutdown()
                try await tasks.waitForAll()
                return summary
            } catch {
                await tracker?.close()
                await configProducer?.shutdown()
                tasks.cancelAll()
                throw error
            }
        }
    }

    private func drive(
        runner: LoadRunner, format: PayloadFormat, tls: DeviceTLSContexts?, ids: [String], tracker: KafkaTracker?,
        configProducer: ConfigEventProducer?
    ) async throws -> RunSummary {
        let c = self.configuration
        if tracker != nil, c.kafkaWarmup > .zero {
            self.logger.info("waiting for the Kafka consumer to join", metadata: ["seconds": "\(c.kafkaWarmup.seconds)"])
            try await Task.sleep(for: c.kafkaWarmup)
        }
        let connectPhase = Duration.seconds(Double(c.devices) / c.connectRate)
        let plan = DevicePlan(
            format: format, qos: c.qos, interval: c.publishInterval.timeAmount, jitter: c.jitter.timeAmount,
            messagesPerDevice: c.messagesPerDevice, publishUntil: .now() + (connectPhase + c.duration).timeAmount,
            steadyFrom: .now() + connectPhase.timeAmount,
            keepAlive: c.keepAlive, sendsUsername: tls == nil
        )
        let phaseStart = ContinuousClock.now
        let publishEnd = phaseStart + connectPhase + c.duration
        let sampler = self.startSampling(runner: runner, tracker: tracker, phaseStart: phaseStart)
        defer { sampler.cancel() }
        // Its own task, ended with the steady phase (which may end early).
        let configEvents = configProducer.flatMap { producer in
            c.configInterval.map { interval in
                Task { try? await Self.produceConfigEvents(producer, ids: ids, interval: interval, until: publishEnd) }
            }
        }
        defer { configEvents?.cancel() }

        // Connect phase, paced.
        for (index, id) in ids.enumerated() where !self.isStopRequested {
            let due = phaseStart + .seconds(Double(index) / c.connectRate)
            if due > ContinuousClock.now { try await Task.sleep(until: due) }
            let context = try tls?.context(for: id)
            runner.openDevice(DeviceSpec(index: index, identity: "\(c.tenant):\(id)", sslContext: context), plan: plan, verifyHostname: c.verifyHostname)
        }

        // Steady phase: until the end, or until every device has sent its messages.
        while ContinuousClock.now < publishEnd, !self.isStopRequested {
            try await Task.sleep(for: .milliseconds(200))
            let now = try await runner.snapshot()
            if let messages = c.messagesPerDevice, now.connected + now.connectFailures >= c.devices,
                now.sent + now.skippedTicks >= now.connected * messages
            {
                break
            }
            if now.connected == 0, now.connectFailures >= c.devices { break }
        }
        configEvents?.cancel()
        try await runner.stopPublishing()
        _ = try await runner.wait(timeout: .seconds(10)) { $0.inflight == 0 }

        // Grace: every acknowledged message into Kafka, every config event to its device.
        var expectedKeys: [UInt64] = []
        if tracker != nil { expectedKeys = try await runner.acknowledgedKeys() }
        let graceEnd = ContinuousClock.now + c.grace
        while ContinuousClock.now < graceEnd {
            let kafkaDone = tracker.map { $0.missingCount(of: expectedKeys) == 0 } ?? true
            var configDone = true
            if let configProducer {
                let received = try await runner.snapshot().configReceived
                configDone = received >= configProducer.counted.delivered
            }
            if kafkaDone && configDone { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        try await runner.disconnectAll()
        let closeDeadline = ContinuousClock.now + .seconds(5)
        while try await runner.openConnections() > 0, ContinuousClock.now < closeDeadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        sampler.cancel()
        var timeline = await sampler.value
        if c.showProgress { self.progressOutput("\n") }
        let final = try await runner.snapshot()
        timeline.record(seconds: (ContinuousClock.now - phaseStart).seconds, snapshot: final, kafka: tracker?.snapshot())
        var summary = self.summarize(
            final, run: format.run, elapsed: ContinuousClock.now - phaseStart,
            publishSeconds: (min(ContinuousClock.now, publishEnd) - phaseStart).seconds,
            tracker: tracker, expectedKeys: expectedKeys, configProducer: configProducer)
        summary.timeline = timeline
        summary.settings = RunSummary.Settings(c)
        return summary
    }

    /// Once a second: a point of the timeline, and the progress line when it is shown. Its own
    /// task, cancelled before the table is printed; it returns the timeline.
    private func startSampling(runner: LoadRunner, tracker: KafkaTracker?, phaseStart: ContinuousClock.Instant) -> Task<RunTimeline, Never> {
        let devices = self.configuration.devices
        let showProgress = self.configuration.showProgress
        let output = self.progressOutput
        return Task {
            var line = ProgressLine()
            var timeline = RunTimeline()
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                guard !Task.isCancelled, let snapshot = try? await runner.snapshot() else { break }
                let kafka = tracker?.snapshot()
                timeline.record(seconds: (ContinuousClock.now - phaseStart).seconds, snapshot: snapshot, kafka: kafka)
                if showProgress {
                    output(line.render(elapsed: ContinuousClock.now - phaseStart, devices: devices, snapshot: snapshot, kafka: kafka))
                }
            }
            return timeline
        }
    }

    /// Every `interval`, one configure event per device, spread evenly over the interval.
    private static func produceConfigEvents(_ producer: ConfigEventProducer, ids: [String], interval: Duration, until end: ContinuousClock.Instant) async throws {
        var round: UInt32 = 0
        var roundStart = ContinuousClock.now + interval
        try await Task.sleep(until: roundStart)
        while roundStart + interval <= end {
            for (index, id) in ids.enumerated() {
                let due = roundStart + interval * (Double(index) / Double(ids.count))
                if due > ContinuousClock.now { try await Task.sleep(until: due) }
                producer.produce(device: index, id: id, round: round)
            }
            round += 1
            roundStart = roundStart + interval
        }
    }

    private func summarize(
        _ s: LoadSnapshot, run: String, elapsed: Duration, publishSeconds: Double, tracker: KafkaTracker?,
        expectedKeys: [UInt64], configProducer: ConfigEventProducer?
    ) -> RunSummary {
        let c = self.configuration
        let connect = RunSummary.Connect(
            attempted: c.devices, succeeded: s.connected, failed: s.connectFailures, subscribed: s.subscribed,
            closedUnexpectedly: s.closedUnexpectedly, latency: .init(s.connectLatency)
        )
        let unacknowledged = c.qos == .atMostOnce ? 0 : s.sent - s.acknowledged
        let publish = RunSummary.Publish(
            qos: Int(c.qos.rawValue), sent: s.sent, acknowledged: s.acknowledged, unacknowledged: unacknowledged,
            skippedTicks: s.skippedTicks, perSecond: publishSeconds > 0 ? Double(s.sent) / publishSeconds : 0, ackLatency: .init(s.ackLatency),
            steadyAckLatency: .init(s.steadyAckLatency)
        )
        let kafka = tracker.map { tracker in
            let k = tracker.snapshot()
            return RunSummary.Kafka(
                topic: c.dataTopic, expected: expectedKeys.count, matched: k.matched,
                lost: tracker.missingCount(of: expectedKeys), duplicates: k.duplicates, wrongKeys: k.wrongKeys, latency: .init(k.latency))
        }
        let config = configProducer.map { producer in
            let counts = producer.counted
            return RunSummary.Config(
                topic: c.configTopic, produced: counts.produced, delivered: counts.delivered, failed: counts.failed,
                received: s.configReceived, lost: max(0, counts.delivered - s.configReceived), latency: .init(s.configLatency))
        }
        let rate = RunSummary.errorRate(connect: connect, publish: publish, kafka: kafka)
        let transport = if case .mutualTLS = c.transport { "mqtts" } else { "mqtt" }
        return RunSummary(
            run: run, target: "\(c.host):\(c.port)", transport: transport, tenant: c.tenant, devices: c.devices,
            elapsedSeconds: (elapsed.seconds * 10).rounded() / 10, connect: connect, publish: publish, kafka: kafka, config: config,
            errorRate: rate, maxErrorRate: c.maxErrorRate,
            failures: RunSummary.failures(connect: connect, publish: publish, kafka: kafka, config: config, errorRate: rate, maxErrorRate: c.maxErrorRate)
        )
    }
}
