import ArgumentParser
import Foundation
import Logging
import PKISidecar
import ServiceLifecycle
import ServiceRuntime
import X509

@main
struct PKISidecarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki-sidecar",
        abstract: "Keeps this host's key, certificate, CA and CRL from the PKI fresh in CERT_DIR.",
        version: ProductVersion.current,
        subcommands: [Run.self, Device.self],
        defaultSubcommand: Run.self
    )
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Enrol, then keep the files fresh (configured by environment variables).",
        discussion: "Exit codes: 0 done, 1 failure, 2 bad configuration, 3 PKI unavailable (--once), 4 chain invalid (--once)."
    )

    @Flag(help: "Enrol once and exit (an init container).")
    var once = false

    func run() async throws {
        if once {
            try await runOnce()
        }
        // The ops endpoint serves from the start, so probes see "alive, not ready" while the
        // first enrolment waits for the PKI.
        await ServiceMain.run("pki-sidecar", arguments: []) { environment, logger in
            let settings = try SidecarConfiguration(from: &environment)
            let sidecar = PKISidecar(configuration: settings, logger: logger)
            var services: [any Service] = [SidecarService(sidecar: sidecar, logger: logger)]
            if settings.httpPort != 0 {
                services.append(
                    OpsHTTPServer(
                        host: settings.httpBindAddress, port: settings.httpPort, readiness: sidecar.readinessCheck, logger: logger))
            }
            return services
        }
    }

    /// The init-container mode: no services, just the first enrolment and an exit code.
    private func runOnce() async throws -> Never {
        var environment = EnvironmentReader()
        let logger = Logger(label: "pki-sidecar")
        let settings: SidecarConfiguration
        do {
            LoggingBootstrap.bootstrap(try LoggingConfiguration(from: &environment))
            settings = try SidecarConfiguration(from: &environment)
        } catch {
            LoggingBootstrap.bootstrap(LoggingConfiguration())
            logger.critical("invalid configuration: \(error.message)", metadata: ["variable": "\(error.variable)"])
            throw ExitCode(ServiceMain.ExitCode.configurationError)
        }
        environment.logEffectiveConfiguration(to: logger)
        do {
            try await PKISidecar(configuration: settings, logger: logger).bootstrap()
        } catch {
            logger.critical("enrolment failed: \(error)")
            throw ExitCode(error.exitCode)
        }
        throw ExitCode.success
    }
}

/// First enrolment, then maintenance until shutdown. A failed first enrolment ends the process
/// unless usable files from an earlier run are there to serve meanwhile.
struct SidecarService: Service {
    let sidecar: PKISidecar
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            do {
                try await sidecar.bootstrap()
            } catch {
                guard sidecar.hasUsableFiles, !Task.isCancelled else { throw error }
                logger.error("enrolment failed; serving the existing files and retrying", metadata: ["error": "\(error)"])
            }
            await sidecar.maintain()
        }
    }
}

struct Device: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Get a key and certificate per device id (like dojot's certreq.sh).",
        discussion: "Writes <out>/ca/ca.pem and <out>/cert_<id>/{cert.pem,private.key}. The certificate CN is <tenant>:<id>."
    )

    @Option(help: "Comma-separated device ids.")
    var ids: String

    @Option(help: "Output directory.")
    var out: String = "."

    @Option(help: "Tenant (sent as X-Tenant; default: the PKI's default tenant).")
    var tenant: String?

    @Option(help: "PKI base URL (default: PKI_URL, EJBCA_ADDRESS, or http://x509-identity-mgmt:3000).")
    var pkiURL: String?

    @Option(help: "Bearer token for the PKI's public API, if it requires one.")
    var token: String?

    @Option(help: "rsa2048, rsa4096 or ec256.")
    var keyType: String = "rsa2048"

    func run() async throws {
        var environment = EnvironmentReader()
        LoggingBootstrap.bootstrap(LoggingConfiguration())
        let logger = Logger(label: "pki-sidecar")
        guard let type = KeyType(rawValue: keyType) else {
            throw ValidationError("--key-type must be rsa2048, rsa4096 or ec256")
        }
        let url = try pkiURL ?? SidecarConfiguration.resolvePKIURL(&environment)
        let client = PKIClient(baseURL: url, extraHeaders: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
        let enrollment = DeviceEnrollment(client: client, outputDirectory: out, tenant: tenant, keyType: type, logger: logger)
        let fingerprints = try await enrollment.enrol(ids: ids.split(separator: ",").map(String.init))
        for (id, fingerprint) in fingerprints.sorted(by: { $0.key < $1.key }) {
            print("\(id) \(fingerprint)")
        }
    }
}
