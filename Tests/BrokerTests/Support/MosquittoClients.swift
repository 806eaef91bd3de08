import Foundation

/// Runs Debian's `mosquitto_pub` / `mosquitto_sub` (and other tools) as third-party peers,
/// always bounded in time.
enum MosquittoClients {
    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs a tool to completion (or until `timeout`, then terminates it).
    static func run(_ tool: String, _ arguments: [String], timeout: Duration = .seconds(10)) async throws -> Result {
        try await self.complete(try self.start("/usr/bin/\(tool)", arguments), timeout: timeout)
    }

    /// Starts a subscriber (`-C n` makes it exit after n messages; `-v` prints "topic payload").
    static func startSubscriber(port: Int, arguments: [String]) throws -> (Process, Pipe) {
        try self.start("/usr/bin/mosquitto_sub", ["-h", "127.0.0.1", "-p", "\(port)"] + arguments)
    }

    static func start(_ executable: String, _ arguments: [String], standardError: Bool = true) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = standardError ? pipe : FileHandle.nullDevice
        try process.run()
        return (process, pipe)
    }

    /// Waits for the process to end (terminating it after `timeout`) and returns its output.
    static func complete(_ started: (Process, Pipe), timeout: Duration = .seconds(10)) async throws -> Result {
        let (process, pipe) = started
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return Result(status: process.terminationStatus, output: output)
    }

    static func finish(_ subscriber: (Process, Pipe), timeout: Duration = .seconds(10)) async throws -> String {
        try await self.complete(subscriber, timeout: timeout).output
    }
}

/// A shell pipeline, bounded in time, for tools like `openssl`.
enum ProcessRunner {
    static func shell(_ command: String, timeout: Duration = .seconds(10)) async throws -> MosquittoClients.Result {
        try await MosquittoClients.complete(try MosquittoClients.start("/bin/bash", ["-c", command], standardError: false), timeout: timeout)
    }
}
