import Foundation
import Kafka
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct KafkaConsumerTests {
    @Test func consumerReceivesRecordsProducedByKcat() async throws {
        let cluster = try KafkaMockCluster()
        let topic = uniqueName("kcat-produced")
        try cluster.createTopic(topic, partitions: 2)
        let lines = (0..<6).map { "tenant:device\($0) value\($0)" }
        try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: topic, lines: lines)

        let consumer = try KafkaConsumer(configuration: TestConfiguration.consumer(cluster.bootstrapServers, group: uniqueName("g")), topics: [topic], logger: testLogger)
        let collector = RecordCollector(consumer)
        let records = try await collector.waitForCount(lines.count)
        await consumer.close()
        await collector.finished()

        #expect(records.map { "\($0.keyString) \($0.valueString)" }.sorted() == lines.sorted())
        #expect(records.allSatisfy { $0.topic == topic && $0.timestamp != nil })
    }

    @Test func storedOffsetsSurviveAConsumerRestart() async throws {
        let cluster = try KafkaMockCluster()
        let topic = uniqueName("restart")
        try cluster.createTopic(topic, partitions: 1)
        try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: topic, lines: (0..<10).map { "k v\($0)" })
        let configuration = TestConfiguration.consumer(cluster.bootstrapServers, group: uniqueName("g"))

        let first = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger)
        let firstCollector = RecordCollector(first)
        let received = try await firstCollector.waitForCount(10)
        // Only the first five are processed; the rest were received but must be read again.
        for record in received.prefix(5) { try first.storeOffset(record) }
        try await first.commit()
        await first.close()
        await firstCollector.finished()

        let second = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger)
        let secondCollector = RecordCollector(second)
        let resumed = try await secondCollector.waitForCount(5)
        await second.close()
        await secondCollector.finished()
        #expect(resumed.map(\.offset) == Array(5..<10))
        #expect(resumed.map(\.valueString) == (5..<10).map { "v\($0)" })
    }

    @Test func pauseStopsDeliveryAndResumeRestartsIt() async throws {
        let cluster = try KafkaMockCluster()
        let topic = uniqueName("pause")
        try cluster.createTopic(topic, partitions: 2)
        try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: topic, lines: ["a 1", "b 2"])
        let consumer = try KafkaConsumer(configuration: TestConfiguration.consumer(cluster.bootstrapServers, group: uniqueName("g")), topics: [topic], logger: testLogger)
        let collector = RecordCollector(consumer)
        _ = try await collector.waitForCount(2)

        consumer.pause()
        try await Task.sleep(for: .milliseconds(300))
        try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: topic, lines: ["c 3", "d 4"])
        try await Task.sleep(for: .seconds(2))
        #expect(collector.all.count == 2)

        consumer.resume()
        let records = try await collector.waitForCount(4, timeout: .seconds(10))
        await consumer.close()
        await collector.finished()
        #expect(records.map(\.valueString).sorted() == ["1", "2", "3", "4"])
    }

    @Test func regexSubscriptionPicksUpATopicCreatedAfterStart() async throws {
        let cluster = try KafkaMockCluster()
        // New topics are found by the periodic metadata refresh. It must be longer than the mock's
        // first JoinGroup (3 s): librdkafka 2.0.2 rejoins when a refresh answer, queued behind the
        // pending JoinGroup on the same connection, arrives just after it, and can loop on that.
        let configuration = TestConfiguration.consumer(cluster.bootstrapServers, group: uniqueName("g"), ["topic.metadata.refresh.interval.ms": "4000"])
        let consumer = try KafkaConsumer(
            configuration: configuration,
            topics: [#"^.+\.dojot\.device-manager\.device$"#],
            logger: testLogger
        )
        let collector = RecordCollector(consumer)
        try await Task.sleep(for: .seconds(1))

        try cluster.createTopic("tenant1.dojot.device-manager.device", partitions: 1)
        try cluster.createTopic("tenant1.device-data", partitions: 1)
        try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: "tenant1.device-data", lines: ["x not-matching"])
        try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: "tenant1.dojot.device-manager.device", lines: ["y matching"])
        let records = try await collector.waitForCount(1)
        try await Task.sleep(for: .milliseconds(500))
        await consumer.close()
        await collector.finished()

        #expect(collector.all.map(\.topic) == ["tenant1.dojot.device-manager.device"])
        #expect(records.first?.valueString == "matching")
    }

    @Test func backpressureDeliversEveryRecordOnceAndInOrder() async throws {
        let cluster = try KafkaMockCluster()
        let topic = uniqueName("backpressure")
        try cluster.createTopic(topic, partitions: 1)
        try await Kcat.produce(bootstrap: cluster.bootstrapServers, topic: topic, lines: (0..<60).map { "k \($0)" })
        let consumer = try KafkaConsumer(
            configuration: TestConfiguration.consumer(cluster.bootstrapServers, group: uniqueName("g")),
            topics: [topic],
            lowWatermark: 2,
            highWatermark: 5,
            logger: testLogger
        )
        // A slow application: the buffer fills, fetching pauses and resumes many times.
        let collector = RecordCollector(consumer, delayPerRecord: .milliseconds(20))
        let records = try await collector.waitForCount(60)
        await consumer.close()
        await collector.finished()
        #expect(records.map(\.offset) == Array(0..<60))
    }
}

@Suite(.timeLimit(.minutes(1))) struct KafkaConsumerCloseTests {
    /// A process must be able to stop when Kafka has gone away (e.g. everything is shutting
    /// down at once): leaving the group cannot finish then, and close gives up after its bound.
    @Test func closeReturnsWhenKafkaHasGoneAway() async throws {
        let mock = try await KafkaMockProcess(arguments: ["--topic", "gone:1"])
        defer { mock.stop() }
        let address = try await mock.firstLine()
        try await Kcat.produce(bootstrap: address, topic: "gone", lines: ["k v"])
        let consumer = try KafkaConsumer(configuration: TestConfiguration.consumer(address, group: uniqueName("g")), topics: ["gone"], logger: testLogger)
        let collector = RecordCollector(consumer)
        let records = try await collector.waitForCount(1)
        try consumer.storeOffset(records[0])
        mock.send(SIGKILL)
        try await Task.sleep(for: .milliseconds(200))
        // A commit cannot be confirmed now: it gives up after its timeout instead of hanging.
        let commitStart = ContinuousClock.now
        await #expect(throws: KafkaError.self) { try await consumer.commit(timeout: .seconds(2)) }
        #expect(ContinuousClock.now - commitStart < .seconds(5))
        // Nor can leaving the group, with the final commit of the stored offset.
        let start = ContinuousClock.now
        await consumer.close()
        await collector.finished()
        #expect(ContinuousClock.now - start < .seconds(15))
    }
}
