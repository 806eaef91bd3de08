import Foundation
import Logging
import ServiceLifecycle
import ServiceRuntime

/// dev-pki: the CA behind its HTTP API (and the ops routes), on ServiceRuntime's ``HTTPServer``.
public struct DevPKIServer: Service {
    public let http: HTTPServer
    public let authority: DevCertificateAuthority
    /// The bound port (useful when binding port 0).
    public let port: Int

    /// Loads or creates the CA and binds the listener (port 0 picks a free port).
    public static func start(configuration: DevPKIConfiguration, logger: Logger) async throws -> DevPKIServer {
        let authority = try await DevCertificateAuthority(configuration: configuration, logger: logger)
        let token = try AccessToken.resolve(
            configured: configuration.token, directory: URL(fileURLWithPath: configuration.dataDirectory, isDirectory: true))
        if configuration.token == nil {
            logger.notice(
                "DEV_PKI_TOKEN is not set: the token for throw-away certificates and revocation is in the data directory",
                metadata: ["file": "\(configuration.dataDirectory)/\(AccessToken.fileName)"])
        }
        let router = DevPKIRouter(authority: authority, defaultTenant: configuration.defaultTenant, token: token, logger: logger)
        let http = HTTPServer(
            name: "dev-pki", host: configuration.bindAddress, port: configuration.port, routes: router.routes(),
            limits: HTTPConnectionLimits(maximumConnections: 256), logger: logger)
        let address = try await http.bind()
        return DevPKIServer(http: http, authority: authority, port: address.port ?? configuration.port)
    }

    /// Serves until graceful shutdown, cancellation or ``stop()``.
    public func run() async throws {
        try await http.run()
    }

    /// Stops accepting and closes the open connections; `run()` then returns.
    public func stop() async {
        await http.stop()
    }
}
