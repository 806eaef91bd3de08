import Foundation
import NIOConcurrencyHelpers

/// `@unchecked Sendable`: Process is thread-safe for what is used here (run, terminate, the pid,
/// the status after exit) but is not marked Sendable.
struct RunningProcess: @unchecked Sendable {
    let process: Process
}

enum ProcessRunner {
    struct Output {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    /// Runs a program to its end; kills it after `timeout`. Output goes through temporary files,
    /// so a chatty program never blocks on a full pipe.
    static func run(_ executable: String, _ arguments: [String], input: String? = nil, timeout: Duration = .seconds(30)) async throws -> Output {
        let directory = FileManager.default.temporaryDirectory
        let outURL = directory.appendingPathComponent("v2k-tests-\(UUID().uuidString).out")
        let errURL = directory.appendingPathComponent("v2k-tests-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        let stdin = Pipe()
        process.standardInput = stdin
        let running = RunningProcess(process: process)
        let status = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int32, any Error>) in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
            try? stdin.fileHandleForWriting.close()
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000))) {
                if running.process.isRunning { running.process.terminate() }
            }
        }
        return Output(
            status: status,
            standardOutput: try String(contentsOf: outURL, encoding: .utf8),
            standardError: try String(contentsOf: errURL, encoding: .utf8)
        )
    }
}

/// A long-running child process (a `v2k-bridge` replica), its output in a log file; stopped by
/// pid (SIGTERM or SIGKILL), and always killed by `stop()`.
final class ChildProcess: Sendable {
    let running: RunningProcess
    let logFile: URL
    private let exitStatus = NIOLockedValueBox<Int32?>(nil)

    init(executable: URL, environment: [String: String], name: String) throws {
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.environment = environment
        let log = try FileHandle(forWritingTo: logFile)
        process.standardOutput = log
        process.standardError = log
        running = RunningProcess(process: process)
        let status = exitStatus
        process.terminationHandler = { process in status.withLockedValue { $0 = process.terminationStatus } }
        try process.run()
    }

    var pid: Int32 { running.process.processIdentifier }
    var exited: Int32? { exitStatus.withLockedValue { $0 } }

    func signal(_ signal: Int32) {
        if exited == nil { kill(pid, signal) }
    }

    func waitForExit(timeout: Duration) async throws -> Int32 {
        try await eventually("process \(pid) to exit", timeout: timeout) { self.exited }
    }

    /// SIGKILL if still running (test clean-up).
    func stop() {
        signal(SIGKILL)
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
}

enum Executables {
    /// Products are built next to the test bundle (`swift build --build-tests` builds them all).
    static func find(_ name: String) throws -> URL {
        let candidates = [
            Bundle.main.executableURL?.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/debug"),
        ].compactMap { $0?.appendingPathComponent(name).standardizedFileURL }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw NotBuilt(name: name, searched: candidates.map(\.path))
        }
        return found
    }

    struct NotBuilt: Error, CustomStringConvertible {
        let name: String
        let searched: [String]
        var description: String { "no \(name) executable in \(searched); run swift build --build-tests first" }
    }
}

enum Kcat {
    static let path = "/usr/bin/kcat"

    /// Every record of `topic` in the given kcat `-f` format, one per line.
    static func consume(bootstrap: String, topic: String, format: String = "%k\t%s\n") async throws -> [String] {
        let output = try await ProcessRunner.run(path, ["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", format])
        guard output.status == 0 else { throw KcatFailed(output: output) }
        return output.standardOutput.split(separator: "\n").map(String.init)
    }
}

struct KcatFailed: Error, CustomStringConvertible {
    let output: ProcessRunner.Output
    var description: String { "kcat exited with \(output.status): \(output.standardError)" }
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `check` every 50 ms until it returns a value, or throws `TimedOut` after `timeout`.
@discardableResult
func eventually<Value>(_ what: String, timeout: Duration = .seconds(15), every: Duration = .milliseconds(50), _ check: () async throws -> Value?) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await check() { return value }
        guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
        try await Task.sleep(for: every)
    }
}
