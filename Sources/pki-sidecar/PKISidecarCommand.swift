import ArgumentParser
import Foundation
import Logging
import MiniHTTPServer
import PKIAPI
import PKISidecar
import ServiceLifecycle
import X509

@main
struct PKISidecarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki-sidecar",
        abstract: "Keeps this host's key, certificate, CA and CRL from the PKI fresh in CERT_DIR.",
        subcommands: [Run.self, Device.self],
        defaultSubcommand: Run.self
    )
}

func bootstrapLogging() -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = Logger.Level(rawValue: ProcessInfo.processInfo.environment["LOG_LEVEL"]?.lowercased() ?? "info") ?? .info
        return handler
    }
    return Logger(label: "pki-sidecar")
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Enrol, then keep the files fresh (configured by environment variables).")

    @Flag(help: "Enrol once and exit (an init container).")
    var once = false

    func run() async throws {
        let logger = bootstrapLogging()
        let settings: SidecarConfiguration
        do {
            settings = try SidecarConfiguration.fromEnvironment()
        } catch {
            logger.critical("configuration error: \(error)")
            throw ExitCode(1)
        }
        logger.info("starting pki-sidecar", metadata: ["configuration": "\(settings.summary)", "once": "\(once)"])
        let sidecar = PKISidecar(configuration: settings, logger: logger)
        if once {
            do {
                try await sidecar.bootstrap()
            } catch {
                logger.critical("enrolment failed: \(error)")
                throw ExitCode(error.exitCode)
            }
            return
        }
        // The health endpoint serves from the start, so probes see "alive, not ready" while the
        // first enrolment waits for the PKI.
        var services: [any Service] = [SidecarService(sidecar: sidecar, logger: logger)]
        if settings.httpPort != 0 {
            let health = try await HealthEndpoint.bind(
                host: settings.httpBindAddress, port: settings.httpPort, status: sidecar.status, logger: logger)
            services.append(HealthService(server: health))
        }
        do {
            try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
        } catch let error as SidecarError {
            logger.critical("enrolment failed: \(error)")
            throw ExitCode(error.exitCode)
        }
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

struct HealthService: Service {
    let server: MiniHTTPServer
    func run() async throws {
        try await cancelWhenGracefulShutdown { try await server.run() }
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
        let logger = bootstrapLogging()
        guard let type = KeyType(rawValue: keyType) else {
            throw ValidationError("--key-type must be rsa2048, rsa4096 or ec256")
        }
        let url = try pkiURL ?? SidecarConfiguration.resolvePKIURL(PKIEnvironment())
        let client = PKIClient(baseURL: url, extraHeaders: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
        let enrollment = DeviceEnrollment(client: client, outputDirectory: out, tenant: tenant, keyType: type, logger: logger)
        let fingerprints = try await enrollment.enrol(ids: ids.split(separator: ",").map(String.init))
        for (id, fingerprint) in fingerprints.sorted(by: { $0.key < $1.key }) {
            print("\(id) \(fingerprint)")
        }
    }
}
