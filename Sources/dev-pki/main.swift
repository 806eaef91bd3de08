import DevPKI
import Foundation
import Logging
import ServiceLifecycle

// dev-pki: a small CA with x509-identity-mgmt's HTTP API, for local runs, tests and compose.
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["LOG_LEVEL"]?.lowercased() ?? "info") ?? .info
    return handler
}
let logger = Logger(label: "dev-pki")

let configuration: DevPKIConfiguration
do {
    configuration = try DevPKIConfiguration.fromEnvironment()
} catch {
    logger.critical("configuration error: \(error)")
    exit(1)
}
logger.info("starting dev-pki", metadata: ["configuration": "\(configuration.summary)"])

struct DevPKIService: Service {
    let server: DevPKIServer
    func run() async throws {
        try await cancelWhenGracefulShutdown { try await server.run() }
    }
}

do {
    let server = try await DevPKIServer.start(configuration: configuration, logger: logger)
    let group = ServiceGroup(
        services: [DevPKIService(server: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
    try await group.run()
} catch {
    logger.critical("dev-pki stopped: \(error)")
    exit(1)
}
