import Foundation

/// Programs run to their end (openssl, curl, kcat, mosquitto_pub ...), always bounded in time.
public enum ProcessRunner {
    public struct Output: Sendable {
        public let status: Int32
        public let standardOutput: String
        public let standardError: String
        /// Standard output, then standard error.
        public var combined: String { self.standardOutput + self.standardError }
    }

    /// Runs a program with `input` on its standard input; after `timeout` it gets SIGTERM (then
    /// SIGKILL) and what it wrote until then is returned with its status.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], input: String? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> Output {
        let child = try await ChildProcess.spawn(
            executable, arguments, environment: environment, input: input, output: .captured, error: .captured)
        let status = await child.finish(within: timeout)
        return Output(status: status, standardOutput: child.standardOutput, standardError: child.standardError)
    }

    /// `bash -c command` (pipelines such as `openssl ... | openssl ...`).
    public static func shell(_ command: String, timeout: Duration = .seconds(10)) async throws -> Output {
        try await run("/bin/bash", ["-c", command], timeout: timeout)
    }
}

/// The `openssl` command as an independent checker.
public enum OpenSSLCommand {
    public static let path = "/usr/bin/openssl"
    public static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Runs openssl with `arguments`; returns exit status and combined output.
    public static func run(_ arguments: [String], timeout: Duration = .seconds(30)) async throws -> (status: Int32, output: String) {
        let process = try await ChildProcess.spawn(path, arguments, output: .captured)
        let status = await process.finish(within: timeout)
        return (status, process.standardOutput)
    }
}
