import Foundation
import TestSupport

/// Runs Debian's `mosquitto_pub` / `mosquitto_sub` (and other tools) as third-party peers,
/// always bounded in time.
enum MosquittoClients {
    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs a tool to completion (or until `timeout`, then terminates it).
    static func run(_ tool: String, _ arguments: [String], timeout: Duration = .seconds(10)) async throws -> Result {
        await self.complete(try await ChildProcess.spawn("/usr/bin/\(tool)", arguments, output: .captured), timeout: timeout)
    }

    /// Starts a subscriber (`-C n` makes it exit after n messages; `-v` prints "topic payload").
    static func startSubscriber(port: Int, arguments: [String]) async throws -> ChildProcess {
        try await ChildProcess.spawn("/usr/bin/mosquitto_sub", ["-h", "127.0.0.1", "-p", "\(port)"] + arguments, output: .captured)
    }

    /// Waits for the process to end (terminating it after `timeout`) and returns its output.
    static func complete(_ process: ChildProcess, timeout: Duration = .seconds(10)) async -> Result {
        let status = await process.finish(within: timeout)
        return Result(status: status, output: process.standardOutput)
    }

    static func finish(_ subscriber: ChildProcess, timeout: Duration = .seconds(10)) async throws -> String {
        await self.complete(subscriber, timeout: timeout).output
    }
}
