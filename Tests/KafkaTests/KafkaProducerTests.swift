import Kafka
import NIOCore
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct KafkaProducerTests {
    @Test func producedRecordsAreReadByKcatWithTheirKeys() async throws {
        let cluster = try KafkaMockCluster()
        let topic = uniqueName("produced")
        try cluster.createTopic(topic, partitions: 2)
        let reports = DeliveryReports()
        let producer = try KafkaProducer(configuration: TestConfiguration.producer(cluster.bootstrapServers), logger: testLogger, deliveryHandler: reports.handler)
        let expected = (0..<5).map { "tenant:device\($0) {\"n\":\($0)}" }
        for (index, line) in expected.enumerated() {
            let parts = line.split(separator: " ", maxSplits: 1)
            try producer.produce(topic: topic, key: ByteBuffer(string: String(parts[0])), value: ByteBuffer(string: String(parts[1])), token: UInt64(index))
        }
        try await producer.flush(timeout: .seconds(10))
        await producer.shutdown()

        let lines = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: topic)
        #expect(lines.sorted() == expected.sorted())
    }

    @Test func deliveryHandlerGetsEveryTokenExactlyOnceWithSuccess() async throws {
        let cluster = try KafkaMockCluster()
        let reports = DeliveryReports()
        let producer = try KafkaProducer(configuration: TestConfiguration.producer(cluster.bootstrapServers), logger: testLogger, deliveryHandler: reports.handler)
        let topic = uniqueName("tokens")
        let tokens = (0..<500).map { UInt64($0) * 7 }
        for token in tokens {
            try producer.produce(topic: topic, key: Array("k\(token)".utf8), value: Array("v\(token)".utf8), token: token)
        }
        try await producer.flush(timeout: .seconds(10))
        await producer.shutdown()

        let all = reports.all
        #expect(all.count == tokens.count)
        #expect(Set(all.map(\.token)) == Set(tokens))
        #expect(all.allSatisfy { if case .success = $0.result { true } else { false } })
    }

    /// Also with the v2k-bridge's settings (idempotence, acks=all, lz4): a timed-out idempotent
    /// message must not leave the producer in a fatal state.
    @Test(arguments: [false, true])
    func deliveryFailsRetriablyWhileTheClusterIsDownAndSucceedsWhenItIsBack(idempotent: Bool) async throws {
        let cluster = try KafkaMockCluster()
        let topic = uniqueName("outage")
        try cluster.createTopic(topic, partitions: 1)
        let reports = DeliveryReports()
        var settings = ["message.timeout.ms": "1500"]
        if idempotent {
            settings.merge(["enable.idempotence": "true", "acks": "all", "compression.codec": "lz4"]) { $1 }
        }
        let configuration = TestConfiguration.producer(cluster.bootstrapServers, settings)
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger, deliveryHandler: reports.handler)

        try producer.produce(topic: topic, key: nil, value: [1], token: 1)
        #expect(try await reports.waitFor(token: 1).isSuccess)

        try cluster.setAvailable(false)
        try producer.produce(topic: topic, key: nil, value: [2], token: 2)
        let failure = try await reports.waitFor(token: 2)
        guard case .failure(let error) = failure else {
            Issue.record("delivery succeeded while the cluster was down")
            return
        }
        #expect(error.code == .messageTimedOut)
        #expect(error.isRetriable)
        #expect(!error.isFatal)

        try cluster.setAvailable(true)
        try producer.produce(topic: topic, key: nil, value: [3], token: 3)
        #expect(try await reports.waitFor(token: 3).isSuccess)
        await producer.shutdown()
    }

    @Test func sendReturnsWhereTheRecordWasStored() async throws {
        let cluster = try KafkaMockCluster()
        let topic = uniqueName("dead-letter")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: TestConfiguration.producer(cluster.bootstrapServers), logger: testLogger) { _, _ in
            Issue.record("send must not reach the delivery handler")
        }
        let first = try await producer.send(topic: topic, key: nil, value: Array("raw".utf8))
        let second = try await producer.send(topic: topic, key: Array("k".utf8), value: Array("raw2".utf8), timestamp: 1_700_000_000_000)
        #expect(first.partition == 0 && first.offset == 0)
        #expect(second.offset == 1)
        await producer.shutdown()
        // The mock broker answers with a made-up append time, so read the stored timestamp back.
        let lines = try await Kcat.consume(bootstrap: cluster.bootstrapServers, topic: topic, format: "%T %s\n")
        #expect(lines.last == "1700000000000 raw2")
    }

    @Test func produceThrowsQueueFullWhenTheLocalQueueIsFull() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.setAvailable(false)
        let reports = DeliveryReports()
        let configuration = TestConfiguration.producer(cluster.bootstrapServers, ["queue.buffering.max.messages": "2"])
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger, deliveryHandler: reports.handler)
        let topic = uniqueName("full")
        try producer.produce(topic: topic, key: nil, value: [1], token: 1)
        try producer.produce(topic: topic, key: nil, value: [2], token: 2)
        let error = #expect(throws: KafkaError.self) {
            try producer.produce(topic: topic, key: nil, value: [3], token: 3)
        }
        #expect(error?.code == .queueFull)
        #expect(error?.isRetriable == true)
        await producer.shutdown(timeout: .milliseconds(200))
    }

    @Test func shutdownReportsEveryUndeliveredTokenAsFailed() async throws {
        let cluster = try KafkaMockCluster()
        try cluster.setAvailable(false)
        let reports = DeliveryReports()
        let producer = try KafkaProducer(configuration: TestConfiguration.producer(cluster.bootstrapServers), logger: testLogger, deliveryHandler: reports.handler)
        let topic = uniqueName("purged")
        for token in 0..<10 as Range<UInt64> {
            try producer.produce(topic: topic, key: nil, value: [UInt8(token)], token: token)
        }
        await producer.shutdown(timeout: .milliseconds(500))

        let all = reports.all
        #expect(all.map(\.token).sorted() == Array(0..<10))
        for report in all {
            guard case .failure(let error) = report.result else {
                Issue.record("token \(report.token) delivered while the cluster was down")
                continue
            }
            #expect(error.isRetriable)
        }
        #expect(throws: KafkaError.self) { try producer.produce(topic: topic, key: nil, value: [0], token: 99) }
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { true } else { false }
    }
}
