import Foundation
import NIOCore
import NIOPosix

/// Free ports and listening checks on 127.0.0.1, for tests that start servers as processes.
public enum FreePort {
    /// Binds port 0 on 127.0.0.1 and releases it: the kernel's pick, free a moment ago.
    public static func find() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }

    public struct NotListening: Error, CustomStringConvertible {
        public let port: Int
        public var description: String { "nothing listens on port \(port)" }
    }

    /// Waits until a TCP connection to the port succeeds.
    public static func waitUntilListening(port: Int, timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            {
                try? await channel.close()
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw NotListening(port: port)
    }
}

public enum TemporaryDirectory {
    public static func make(prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
