import Foundation
import Logging
import MiniHTTPServer

/// `/health` (the process works) and `/ready` (a valid certificate is in place), JSON bodies.
public enum HealthEndpoint {
    public static func bind(host: String, port: Int, status: SidecarStatus, logger: Logger) async throws -> MiniHTTPServer {
        try await MiniHTTPServer.bind(host: host, port: port, logger: logger) { request in
            switch request.path {
            case "/health":
                return .json(.ok, status.snapshot)
            case "/ready":
                return .json(status.isReady() ? .ok : .serviceUnavailable, status.snapshot)
            default:
                return .error(.notFound, "no route for \(request.path)")
            }
        }
    }
}
