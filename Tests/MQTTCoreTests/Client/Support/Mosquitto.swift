import Foundation
import TestSupport
import NIOCore
import NIOPosix

/// A mosquitto broker of its own for one test: 127.0.0.1, a free port, a config file in a temp
/// directory. `stop()` ends it; `restart()` brings it back on the same port and config.
final class Mosquitto: @unchecked Sendable {
    // @unchecked: only the test task that owns the broker touches `process`.
    let port: Int
    let directory: URL
    private let configFile: URL
    private var process: ChildProcess?

    /// - Parameter extraConfig: lines added to the listener's configuration (TLS, auth).
    init(extraConfig: [String] = [], allowAnonymous: Bool = true, persistence: Bool = false) async throws {
        self.directory = try TemporaryDirectory.make(prefix: "mosquitto")
        self.port = try await FreePort.find()
        self.configFile = self.directory.appendingPathComponent("mosquitto.conf")
        var lines = [
            "listener \(self.port) 127.0.0.1",
            "allow_anonymous \(allowAnonymous)",
            "user root",
            "log_dest file \(self.directory.appendingPathComponent("mosquitto.log").path)",
            "log_type all",
        ]
        if persistence {
            lines += ["persistence true", "persistence_location \(self.directory.path)/", "autosave_interval 1"]
        } else {
            lines.append("persistence false")
        }
        lines += extraConfig
        try (lines.joined(separator: "\n") + "\n").write(to: self.configFile, atomically: true, encoding: .utf8)
        try await self.start()
    }

    func start() async throws {
        self.process = try ChildProcess.spawn("/usr/sbin/mosquitto", ["-c", self.configFile.path])
        try await FreePort.waitUntilListening(port: self.port)
    }

    /// SIGTERM: mosquitto closes its clients (wills are sent) and saves persistence.
    func stop() async {
        guard let process = self.process else { return }
        self.process = nil
        process.signal(SIGTERM)
        for _ in 0..<250 where !process.hasExited() { try? await Task.sleep(for: .milliseconds(20)) }
        if !process.hasExited() {
            process.signal(SIGKILL)
            while !process.hasExited() { try? await Task.sleep(for: .milliseconds(20)) }
        }
    }

    func restart() async throws {
        await self.stop()
        try await self.start()
    }

    var log: String {
        (try? String(contentsOf: self.directory.appendingPathComponent("mosquitto.log"), encoding: .utf8)) ?? ""
    }

    deinit {
        if let process = self.process, !process.hasExited() {
            process.signal(SIGKILL)
            while !process.hasExited() { usleep(10_000) }
        }
        try? FileManager.default.removeItem(at: self.directory)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A child started with posix_spawn and default signal handling: Foundation's `Process` starts
/// children with SIGTERM blocked here, so mosquitto would never shut down gracefully.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `exited` is touched only by the task that owns the broker.
    let pid: pid_t
    private var exited = false

    private init(pid: pid_t) { self.pid = pid }

    static func spawn(_ path: String, _ arguments: [String]) throws -> ChildProcess {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw TestFailure("posix_spawn \(path): \(result)") }
        return ChildProcess(pid: pid)
    }

    func signal(_ signal: Int32) {
        if !self.exited { kill(self.pid, signal) }
    }

    func hasExited() -> Bool {
        if self.exited { return true }
        var status: Int32 = 0
        self.exited = waitpid(self.pid, &status, WNOHANG) == self.pid
        return self.exited
    }
}
