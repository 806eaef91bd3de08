import Kafka
import Logging
import NIOConcurrencyHelpers
import NIOCore
import TestSupport

let testLogger: Logger = {
    var logger = Logger(label: "kafka-tests")
    logger.logLevel = .info
    return logger
}()

/// Keeps every delivery report a producer hands out.
final class DeliveryReports: Sendable {
    typealias Report = (token: UInt64, result: Result<DeliveredRecord, KafkaError>)
    private let reports = NIOLockedValueBox<[Report]>([])

    var handler: KafkaProducer.DeliveryHandler {
        { [reports] token, result in reports.withLockedValue { $0.append((token, result)) } }
    }

    var all: [Report] { reports.withLockedValue { $0 } }

    func waitForCount(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [Report] {
        try await eventually("\(count) delivery reports", timeout: timeout) {
            let all = self.all
            return all.count >= count ? all : nil
        }
    }

    func waitFor(token: UInt64, timeout: Duration = .seconds(15)) async throws -> Result<DeliveredRecord, KafkaError> {
        try await eventually("the report of token \(token)", timeout: timeout) {
            all.first { $0.token == token }?.result
        }
    }
}

/// Iterates a consumer's records in a task of its own and keeps them, so tests can wait for a
/// count without cancelling the iteration (which would make the consumer leave its group).
final class RecordCollector: Sendable {
    private let records = NIOLockedValueBox<[KafkaRecord]>([])
    private let task: Task<Void, Never>

    init(_ consumer: KafkaConsumer, delayPerRecord: Duration = .zero) {
        let records = self.records
        task = Task {
            do {
                for try await record in consumer.records {
                    if delayPerRecord > .zero { try await Task.sleep(for: delayPerRecord) }
                    records.withLockedValue { $0.append(record) }
                }
            } catch {}
        }
    }

    var all: [KafkaRecord] { records.withLockedValue { $0 } }

    func waitForCount(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [KafkaRecord] {
        try await eventually("\(count) records", timeout: timeout) {
            let all = self.all
            return all.count >= count ? all : nil
        }
    }

    /// Waits until the iteration ends (after the consumer closed).
    func finished() async {
        await task.value
    }
}

extension KafkaRecord {
    var keyString: String { key.map { String(buffer: $0) } ?? "" }
    var valueString: String { String(buffer: value) }
}

enum TestConfiguration {
    static func producer(_ bootstrap: String, _ extra: [String: String] = [:]) -> KafkaConfiguration {
        KafkaConfiguration([
            "bootstrap.servers": bootstrap,
            "linger.ms": "5",
            "reconnect.backoff.ms": "100",
            "reconnect.backoff.max.ms": "500",
        ]).merging(extra)
    }

    static func consumer(_ bootstrap: String, group: String, _ extra: [String: String] = [:]) -> KafkaConfiguration {
        KafkaConfiguration([
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "session.timeout.ms": "6000",
            "heartbeat.interval.ms": "500",
            "auto.offset.reset": "earliest",
            "auto.commit.interval.ms": "200",
            "reconnect.backoff.ms": "100",
            "reconnect.backoff.max.ms": "500",
        ]).merging(extra)
    }
}

extension KafkaConfiguration {
    func merging(_ extra: [String: String]) -> KafkaConfiguration {
        KafkaConfiguration(properties.merging(extra) { _, new in new })
    }
}
