import Foundation

public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A child started with posix_spawn and default signal handling (Foundation's `Process` starts
/// children with SIGTERM blocked here). Output goes to `logFile` or /dev/null.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `exitStatus` is touched only by the test task that owns the child.
    public let pid: pid_t
    private var exitStatus: Int32?

    private init(pid: pid_t) { self.pid = pid }

    public static func spawn(_ path: String, _ arguments: [String], environment: [String: String] = [:], logFile: String? = nil) throws -> ChildProcess {
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
        let output = logFile ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var merged = ProcessInfo.processInfo.environment
        for (name, value) in environment { merged[name] = value }
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw ChildProcessError("posix_spawn \(path): \(result)") }
        return ChildProcess(pid: pid)
    }

    public func signal(_ signal: Int32) {
        if self.exitStatus == nil { kill(self.pid, signal) }
    }

    /// The exit status once the child has exited (nil while it runs; 128+n after signal n).
    public func poll() -> Int32? {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        guard waitpid(self.pid, &status, WNOHANG) == self.pid else { return nil }
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        self.exitStatus = code
        return code
    }

    public func wait(timeout: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = self.poll() { return status }
            try await Task.sleep(for: .milliseconds(50))
        }
        self.stop()
        throw ChildProcessError("process \(self.pid) did not exit within \(timeout)")
    }

    /// SIGTERM, then SIGKILL after two seconds.
    public func stop() {
        self.signal(SIGTERM)
        for _ in 0..<100 where self.poll() == nil { usleep(20_000) }
        if self.poll() == nil {
            self.signal(SIGKILL)
            while self.poll() == nil { usleep(10_000) }
        }
    }

    deinit {
        if self.exitStatus == nil { self.stop() }
    }
}

/// The executables built next to the test bundle (`swift build --build-tests` builds them all).
public enum BuiltProducts {
    public static func path(_ name: String) throws -> String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path,
            Bundle.main.bundleURL.appendingPathComponent(name).path,
            FileManager.default.currentDirectoryPath + "/.build/debug/\(name)",
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ChildProcessError("executable \(name) not found in \(candidates)")
        }
        return found
    }
}
