import Foundation

/// The real `broker` executable as a child process on 127.0.0.1 with a data directory, so that a
/// test can kill it with SIGKILL and start it again on the same directory.
public final class BrokerChild: @unchecked Sendable {
    // @unchecked: only the test task that owns it touches the process.
    public let port: Int
    public let dataDirectory: String
    public let logFile: String
    private var process: ChildProcess?
    private let environment: [String: String]

    public init(dataDirectory: String, environment: [String: String] = [:]) async throws {
        self.port = try await FreePort.find()
        self.dataDirectory = dataDirectory
        self.logFile = dataDirectory + ".log"
        self.environment = environment
        try await self.start()
    }

    /// Starts the broker (again) and waits until it accepts connections.
    public func start() async throws {
        var environment = [
            "BROKER_BIND": "127.0.0.1", "BROKER_MQTT_PORT": "\(self.port)", "BROKER_MQTTS_PORT": "0",
            "BROKER_HTTP_PORT": "\(try await FreePort.find())", "BROKER_DATA_DIR": self.dataDirectory,
            "BROKER_AUTHZ": "none", "LOG_LEVEL": "info",
        ]
        environment.merge(self.environment) { $1 }
        self.process = try await ChildProcess.spawn(try BuiltProducts.path("broker"), [], environment: environment, logFile: self.logFile)
        try await FreePort.waitUntilListening(port: self.port)
    }

    /// SIGKILL: no drain, no flush, nothing the process could still do.
    public func kill() async throws {
        guard let process = self.process else { return }
        process.signal(SIGKILL)
        _ = try await process.wait(timeout: .seconds(10))
        self.process = nil
    }

    /// Sends `signal` (SIGHUP: read the acl-file and TLS files again now).
    public func signal(_ signal: Int32) {
        self.process?.signal(signal)
    }

    /// Ends the broker at once (clean-up, also from `defer`: SIGKILL, reaped in the background).
    public func stop() {
        self.process?.kill()
        self.process = nil
    }

    deinit { self.process?.kill() }
}
