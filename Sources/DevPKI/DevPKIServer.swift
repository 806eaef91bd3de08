import Foundation
import Logging
import MiniHTTPServer

/// dev-pki: the CA behind its HTTP API.
public struct DevPKIServer: Sendable {
    public let http: MiniHTTPServer
    public let authority: DevCertificateAuthority

    /// Loads or creates the CA and binds the listener (port 0 picks a free port).
    public static func start(configuration: DevPKIConfiguration, logger: Logger) async throws -> DevPKIServer {
        let authority = try await DevCertificateAuthority(configuration: configuration, logger: logger)
        let token = try AccessToken.resolve(
            configured: configuration.token, directory: URL(fileURLWithPath: configuration.dataDirectory, isDirectory: true))
        if configuration.token == nil {
            logger.notice("DEV_PKI_TOKEN is not set: the token for throw-away certificates and revocation is in the data directory",
                          metadata: ["file": "\(configuration.dataDirectory)/\(AccessToken.fileName)"])
        }
        let router = DevPKIRouter(authority: authority, defaultTenant: configuration.defaultTenant, token: token, logger: logger)
        let http = try await MiniHTTPServer.bind(host: configuration.bindAddress, port: configuration.port, logger: logger) {
            await router.handle($0)
        }
        logger.notice("dev-pki listening", metadata: ["address": "\(configuration.bindAddress):\(http.port)"])
        return DevPKIServer(http: http, authority: authority)
    }

    public var port: Int { http.port }

    /// Serves until cancelled.
    public func run() async throws {
        try await http.run()
    }
}
