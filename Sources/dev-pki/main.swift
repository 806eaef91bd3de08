import DevPKI
import ServiceLifecycle
import ServiceRuntime

// dev-pki: a small CA with x509-identity-mgmt's HTTP API, for local runs, tests and compose.
struct DevPKIService: Service {
    let server: DevPKIServer
    func run() async throws {
        try await cancelWhenGracefulShutdown { try await server.run() }
    }
}

await ServiceMain.run("dev-pki", settings: { environment in _ = try DevPKIConfiguration(from: &environment) }) { environment, logger in
    let configuration = try DevPKIConfiguration(from: &environment)
    return [DevPKIService(server: try await DevPKIServer.start(configuration: configuration, logger: logger))]
}
