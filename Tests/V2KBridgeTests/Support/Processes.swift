import Foundation
import NIOConcurrencyHelpers
import TestSupport

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
