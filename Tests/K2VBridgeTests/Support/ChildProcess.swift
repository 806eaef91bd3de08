import Foundation

/// A program started by a test, its output in a log file; the test ends it by PID.
///
/// `@unchecked Sendable`: `Process` is not marked Sendable; what is used here after the start
/// (pid, isRunning, terminationStatus) is safe to read from any thread.
final class ChildProcess: @unchecked Sendable {
    private let process: Process
    let logFile: URL

    private init(process: Process, logFile: URL) {
        self.process = process
        self.logFile = logFile
    }

    static func spawn(_ executable: String, _ arguments: [String] = [], environment: [String: String] = [:], name: String) throws -> ChildProcess {
        let logFile = FileManager.default.temporaryDirectory.appendingPathComponent("k2v-test-\(name)-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let handle = try FileHandle(forWritingTo: logFile)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return ChildProcess(process: process, logFile: logFile)
    }

    var pid: Int32 { process.processIdentifier }
    var hasExited: Bool { !process.isRunning }
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Sends `signal`, waits for the exit (at most `timeout`), then SIGKILL. Returns the status.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM, timeout: Duration = .seconds(15)) async -> Int32 {
        self.signal(signal)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            for _ in 0..<250 where process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
        return process.isRunning ? -1 : process.terminationStatus
    }

    /// A built product of this package (`swift build --build-tests` builds every product).
    static func builtProduct(_ name: String) throws -> String {
        let candidates = [
            Bundle.main.executableURL?.deletingLastPathComponent(),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../.build/debug"),
        ].compactMap { $0?.appendingPathComponent(name).standardizedFileURL.path }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestFailure("\(name) is not built; searched \(candidates)")
        }
        return found
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
