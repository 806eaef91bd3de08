import DevPKI
import ServiceRuntime

// dev-pki: a small CA with x509-identity-mgmt's HTTP API, for local runs, tests and compose.
await ServiceMain.run("dev-pki", settings: { environment in _ = try DevPKIConfiguration(from: &environment) }) { environment, logger in
    let configuration = try DevPKIConfiguration(from: &environment)
    return [try await DevPKIServer.start(configuration: configuration, logger: logger)]
}
