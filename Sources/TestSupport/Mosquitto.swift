import Foundation

/// Debian's mosquitto, a broker of its own for one test: 127.0.0.1, a free port, a config file in
/// a temporary directory (`user root`: it must read root's files), its log in `log`. `stop()` ends
/// it; `restart()` brings it back on the same port and config.
public final class Mosquitto: @unchecked Sendable {
    // @unchecked: only the test task that owns the broker touches `process`.
    public let port: Int
    public let directory: URL
    private let configFile: URL
    private var process: ChildProcess?

    /// - Parameter extraConfig: lines added to the listener's configuration (TLS, auth).
    public init(extraConfig: [String] = [], allowAnonymous: Bool = true, persistence: Bool = false) async throws {
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

    public func start() async throws {
        self.process = try await ChildProcess.spawn("/usr/sbin/mosquitto", ["-c", self.configFile.path])
        try await FreePort.waitUntilListening(port: self.port)
    }

    /// SIGTERM: mosquitto closes its clients (wills are sent) and saves persistence.
    public func stop() async {
        guard let process = self.process else { return }
        self.process = nil
        await process.stop(SIGTERM, timeout: .seconds(5))
    }

    /// SIGKILL at once (clean-up, also from `defer`).
    public func kill() {
        self.process?.kill()
        self.process = nil
    }

    public func restart() async throws {
        await self.stop()
        try await self.start()
    }

    public var log: String {
        (try? String(contentsOf: self.directory.appendingPathComponent("mosquitto.log"), encoding: .utf8)) ?? ""
    }

    deinit {
        self.process?.kill()
        try? FileManager.default.removeItem(at: self.directory)
    }
}
