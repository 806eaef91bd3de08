import DevPKI
import Foundation
import Logging
import PKISidecar
import ServiceRuntime
import TestSupport
import X509

/// A dev-pki running in this process on 127.0.0.1.
struct RunningDevPKI {
    let server: DevPKIServer
    let task: Task<Void, any Error>
    var url: String { "http://127.0.0.1:\(server.port)" }
    /// A client that presents the token, as the sidecars do.
    var client: PKIClient { PKIClient(baseURL: url, extraHeaders: testPKIAuthorization) }

    static func start(directory: URL, port: Int = 0, certificateDays: Int = 365, token: String? = testPKIToken) async throws -> RunningDevPKI {
        // As ServiceMain does before anything makes a metric: dev-pki's counters are statics.
        MetricsBootstrap.bootstrap()
        let configuration = DevPKIConfiguration(
            port: port, bindAddress: "127.0.0.1", dataDirectory: directory.path, certificateDays: certificateDays,
            caKeyType: .ec256, token: token,
            throwAway: ThrowAwayPolicy(serverNames: [.init("iotagent-mqtt"), .init("broker")]))
        let server = try await DevPKIServer.start(configuration: configuration, logger: testLogger)
        return RunningDevPKI(server: server, task: Task { try await server.run() })
    }

    func stop() async {
        await server.stop()
        task.cancel()
        _ = await task.result
    }
}

let testPKIToken = "pki-tests-token-0123456789"
let testPKIAuthorization = [(name: "Authorization", value: "Bearer \(testPKIToken)")]

let testLogger: Logger = {
    var logger = Logger(label: "pki-tests")
    logger.logLevel = .critical
    return logger
}()

func sidecarConfiguration(pkiURL: String, directory: URL) -> SidecarConfiguration {
    SidecarConfiguration(
        pkiURL: pkiURL, certificateDirectory: directory.path, hostname: "broker",
        subjectAlternativeNames: [.dns("iotagent-mqtt"), .dns("localhost"), .ip("127.0.0.1")], keyType: .ec256,
        renewBefore: .seconds(3600), crlRefreshInterval: .milliseconds(300), waitTimeout: .seconds(5),
        retryMaximum: .milliseconds(500), token: testPKIToken)
}

func readCertificate(_ path: String) -> Certificate? {
    (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { try? Certificate(pem: $0) }
}

func fileMode(_ path: String) throws -> Int {
    ((try FileManager.default.attributesOfItem(atPath: path))[.posixPermissions] as? NSNumber)?.intValue ?? -1
}
