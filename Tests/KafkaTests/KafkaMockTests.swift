import Foundation
import Kafka
import NIOConcurrencyHelpers
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
        let mock = try KafkaMockProcess(arguments: ["--topic", "events:3", "--bootstrap-file", bootstrapFile])
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
        let mock = try KafkaMockProcess(arguments: [])
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
    private let running: RunningProcess
    private let standardOutput: FileHandle
    private let exitStatus = NIOLockedValueBox<Int32?>(nil)

    init(arguments: [String]) throws {
        let process = Process()
        process.executableURL = try Self.executable()
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        // Not the test runner's stderr: a kafka-mock left behind would keep `swift test` waiting.
        process.standardError = FileHandle.nullDevice
        standardOutput = pipe.fileHandleForReading
        running = RunningProcess(process: process)
        process.terminationHandler = { [exitStatus] process in exitStatus.withLockedValue { $0 = process.terminationStatus } }
        try process.run()
    }

    deinit {
        stop()
    }

    /// SIGTERM without waiting; for `defer`, so that a failing test leaves no process behind.
    func stop() {
        if running.process.isRunning { running.process.terminate() }
    }

    /// Reads standard output up to the first newline, on a thread of its own (the read blocks).
    func firstLine(timeout: Duration = .seconds(10)) async throws -> String {
        let handle = standardOutput
        let line = await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            Thread.detachNewThread {
                var bytes: [UInt8] = []
                while true {
                    let chunk = handle.readData(ofLength: 1)
                    guard let byte = chunk.first else { return continuation.resume(returning: nil) }
                    if byte == UInt8(ascii: "\n") { return continuation.resume(returning: String(decoding: bytes, as: UTF8.self)) }
                    bytes.append(byte)
                }
            }
        }
        guard let line else { throw TimedOut(what: "kafka-mock's first line (it exited)") }
        return line
    }

    func send(_ signal: Int32) {
        kill(running.process.processIdentifier, signal)
    }

    /// SIGTERM, then the exit status.
    func terminate(timeout: Duration = .seconds(10)) async throws -> Int32 {
        running.process.terminate()
        return try await eventually("kafka-mock to exit", timeout: timeout) { exitStatus.withLockedValue { $0 } }
    }

    /// `kafka-mock` is built next to the test bundle (`swift build --build-tests` builds every product).
    private static func executable() throws -> URL {
        let candidates = [
            Bundle.main.executableURL?.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug"),
        ].compactMap { $0?.appendingPathComponent("kafka-mock").standardizedFileURL }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw KafkaMockNotBuilt(searched: candidates.map(\.path))
        }
        return found
    }
}

struct KafkaMockNotBuilt: Error, CustomStringConvertible {
    let searched: [String]
    var description: String { "no kafka-mock executable in \(searched); run swift build --build-tests first" }
}
