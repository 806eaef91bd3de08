import Foundation
import Logging
import NIOCore
import NIOPosix

/// Whether any Kafka bootstrap server accepts a TCP connection: the `kafka` part of `/ready`
/// (the original's start-up probe, made periodic).
struct KafkaReachability: Sendable {
    let servers: [String]
    let eventLoopGroup: any EventLoopGroup

    func anyReachable(timeout: TimeAmount = .seconds(2)) async -> Bool {
        for server in servers {
            guard let (host, port) = Self.hostAndPort(server) else { continue }
            do {
                let channel = try await ClientBootstrap(group: eventLoopGroup)
                    .connectTimeout(timeout)
                    .connect(host: host, port: port).get()
                try? await channel.close()
                return true
            } catch {
                continue
            }
        }
        return false
    }

    /// `host:port`, `PLAINTEXT://host:port` or `[::1]:port`.
    static func hostAndPort(_ server: String) -> (String, Int)? {
        var text = Substring(server)
        if let scheme = text.range(of: "://") { text = text[scheme.upperBound...] }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return host.isEmpty ? nil : (String(host), port)
    }
}
