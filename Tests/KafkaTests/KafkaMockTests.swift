import Foundation
import Kafka
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(1))) struct KafkaMockTests {
    @Test func mockClusterCreatesTopicsWithTheirPartitionCount() async throws {
        let cluster = try KafkaMockCluster(brokers: 2)
        try cluster.createTopic("six", partitions: 6)
        #expect(cluster.bootstrapServers.split(separator: ",").count == 2)
        #expect(try await Kcat.partitionCount(bootstrap: cluster.bootstrapServers, topic: "six") == 6)
    }

    @Test func kafkaMockPrintsItsAddressServesKcatAndExitsZeroOnSigterm() async throws {
        let bootstrapFile = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("bootstrap")).path
        let mock = try await KafkaMockProcess(arguments: ["--topic", "events:3", "--bootstrap-file", bootstrapFile])
        defer { mock.stop() }
        let address = try await mock.firstLine()
        #expect(address.hasPrefix("127.0.0.1:"))
        #expect(try String(contentsOfFile: bootstrapFile, encoding: .utf8) == address + "\n")
        #expect(try await Kcat.partitionCount(bootstrap: address, topic: "events") == 3)

        try await Kcat.produce(bootstrap: address, topic: "events", lines: ["tenant:dev1 hello"])
        #expect(try await Kcat.consume(bootstrap: address, topic: "events") == ["tenant:dev1 hello"])

        let status = try await mock.terminate()
        #expect(status == 0)
        #expect(!FileManager.default.fileExists(atPath: bootstrapFile))
    }

    @Test func kafkaMockGoesDownOnSigusr1AndComesBackOnSigusr2() async throws {
        let mock = try await KafkaMockProcess(arguments: [])
        defer { mock.stop() }
        let address = try await mock.firstLine()
        let metadata = ["-b", address, "-L", "-m", "2"]

        mock.send(SIGUSR1)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await ProcessRunner.run(Kcat.path, metadata).status != 0)

        mock.send(SIGUSR2)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await ProcessRunner.run(Kcat.path, metadata).status == 0)
        #expect(try await mock.terminate() == 0)
    }
}

/// The built `kafka-mock` executable, running.
final class KafkaMockProcess: Sendable {
    private let process: ChildProcess

    init(arguments: [String]) async throws {
        // Standard error discarded, not the test runner's: a kafka-mock left behind would keep
        // `swift test` waiting.
        process = try await ChildProcess.spawn(try BuiltProducts.path("kafka-mock"), arguments, output: .captured, error: .discarded)
    }

    /// SIGTERM without waiting; for `defer`, so that a failing test leaves no process behind.
    func stop() {
        process.signal(SIGTERM)
    }

    /// Standard output up to the first newline.
    func firstLine(timeout: Duration = .seconds(10)) async throws -> String {
        try await eventually("kafka-mock's first line", timeout: timeout) { () throws -> String? in
            let output = process.standardOutput
            if let newline = output.firstIndex(of: "\n") { return String(output[..<newline]) }
            if process.hasExited { throw TestFailure("kafka-mock exited before its first line") }
            return nil
        }
    }

    func send(_ signal: Int32) {
        process.signal(signal)
    }

    /// SIGTERM, then the exit status.
    func terminate(timeout: Duration = .seconds(10)) async throws -> Int32 {
        process.signal(SIGTERM)
        return try await eventually("kafka-mock to exit", timeout: timeout) { process.exitStatus }
    }
}
