import Foundation
import NIOCore
import NIOPosix

/// Polls `check` every 50 ms until it returns a value, or throws after `timeout`.
func eventually<Value>(_ what: String, timeout: Duration = .seconds(15), _ check: () async throws -> Value?) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await check() { return value }
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out after \(timeout) waiting for \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
}

enum FreePort {
    /// A port free on 127.0.0.1 right now (bound, then released).
    static func find() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }

    static func waitUntilListening(port: Int, timeout: Duration = .seconds(15)) async throws {
        _ = try await eventually("127.0.0.1:\(port) to listen", timeout: timeout) { () async -> Bool? in
            let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            guard let channel else { return nil }
            try? await channel.close()
            return true
        }
    }
}

enum Kcat {
    /// Produces `lines` (`KEY<TAB>VALUE`) to `topic`, keyed so that one device's records share a partition.
    static func produce(bootstrap: String, topic: String, lines: [String], timeout: Duration = .seconds(30)) async throws {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("kcat-\(UUID().uuidString).in")
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        let process = try ChildProcess.spawn("/usr/bin/kcat", ["-b", bootstrap, "-P", "-t", topic, "-K", "\t", "-l", input.path], name: "kcat")
        defer { try? FileManager.default.removeItem(at: process.logFile) }
        let deadline = ContinuousClock.now + timeout
        while !process.hasExited && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let status = await process.stop(SIGKILL, timeout: .seconds(1))
        guard status == 0 else { throw TestFailure("kcat exited with \(status): \(process.log)") }
    }
}
