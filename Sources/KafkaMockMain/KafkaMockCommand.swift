import ArgumentParser
import Dispatch
import Foundation
import Kafka
import Logging

/// `kafka-mock`: librdkafka's mock Kafka cluster as a process, for local runs and tests.
@main
struct KafkaMockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-mock",
        abstract: "Runs librdkafka's in-memory mock Kafka cluster on 127.0.0.1.",
        discussion: """
            Prints the bootstrap address as the first line of standard output, then runs until \
            SIGTERM or SIGINT. SIGUSR1 takes every broker down, SIGUSR2 brings them back.
            """
    )

    @Option(help: "Number of brokers.")
    var brokers = 1

    @Option(name: .customLong("topic"), help: "A topic to create, NAME or NAME:PARTITIONS (repeatable).")
    var topics: [TopicSpecification] = []

    @Option(help: "Also write the bootstrap address to this file (atomically).")
    var bootstrapFile: String?

    mutating func validate() throws {
        guard brokers >= 1 else { throw ValidationError("--brokers must be at least 1") }
    }

    func run() throws {
        let logger = Logger(label: "kafka-mock")
        let cluster = try KafkaMockCluster(brokers: brokers)
        for topic in topics {
            try cluster.createTopic(topic.name, partitions: topic.partitions)
        }
        // Signals are handled and the file is written before the address is announced, so that
        // whoever reads the first line can use all of them at once.
        let stopped = DispatchSemaphore(value: 0)
        let queue = DispatchQueue(label: "kafka-mock.signals")
        let sources = [
            SignalHandlers.on(SIGTERM, queue: queue) { stopped.signal() },
            SignalHandlers.on(SIGINT, queue: queue) { stopped.signal() },
            SignalHandlers.on(SIGUSR1, queue: queue) { setAvailable(false, cluster: cluster, logger: logger) },
            SignalHandlers.on(SIGUSR2, queue: queue) { setAvailable(true, cluster: cluster, logger: logger) },
        ]
        if let bootstrapFile {
            try Data((cluster.bootstrapServers + "\n").utf8).write(to: URL(fileURLWithPath: bootstrapFile), options: .atomic)
        }
        print(cluster.bootstrapServers)
        fflush(nil)
        logger.info(
            "Mock Kafka cluster running",
            metadata: [
                "bootstrap": "\(cluster.bootstrapServers)", "brokers": "\(brokers)", "topics": "\(topics.map(\.description))",
            ])
        withExtendedLifetime(sources) { stopped.wait() }

        logger.info("Mock Kafka cluster stopping")
        if let bootstrapFile { try? FileManager.default.removeItem(atPath: bootstrapFile) }
    }
}

private func setAvailable(_ available: Bool, cluster: KafkaMockCluster, logger: Logger) {
    do {
        try cluster.setAvailable(available)
        logger.notice(available ? "Mock Kafka cluster up (SIGUSR2)" : "Mock Kafka cluster down (SIGUSR1)")
    } catch {
        logger.error("Mock Kafka cluster cannot change availability", metadata: ["error": "\(error)"])
    }
}

/// `--topic NAME[:PARTITIONS]`; Kafka topic names cannot contain `:`.
struct TopicSpecification: ExpressibleByArgument, CustomStringConvertible {
    static let defaultPartitions = 4
    let name: String
    let partitions: Int

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty else { return nil }
        name = String(parts[0])
        if parts.count == 2 {
            guard let count = Int(parts[1]), count >= 1 else { return nil }
            partitions = count
        } else {
            partitions = Self.defaultPartitions
        }
    }

    var description: String { "\(name):\(partitions)" }
}
