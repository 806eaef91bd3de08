import Broker
import BrokerTestSupport
import DevPKI
import Foundation
import LoadTest
import MQTTAuthorization
import PKISidecar
import TestSupport
import Testing

/// Device certificates obtained from the PKI (dev-pki in this process) and cached on disk; the
/// broker's certificate and CRL come from it too (pki-sidecar's enrolment), so the CRL is enforced.
@Suite(.timeLimit(.minutes(2))) struct PKIRunTests {
    @Test func devicesEnrolFromThePKIOnceAndReuseTheCache() async throws {
        let root = try TemporaryDirectory.make(prefix: "loadtest-pki-run")
        defer { try? FileManager.default.removeItem(at: root) }
        let pki = try await DevPKIServer.start(
            configuration: DevPKIConfiguration(
                port: 0, bindAddress: "127.0.0.1", dataDirectory: root.appendingPathComponent("dev-pki").path, caKeyType: .ec256,
                token: "loadtest-pki-token-0123", throwAway: ThrowAwayPolicy(serverNames: [.init("broker")])),
            logger: quietLogger)
        let pkiTask = Task { try await pki.run() }
        let pkiURL = "http://127.0.0.1:\(pki.port)"
        let brokerFiles = root.appendingPathComponent("broker").path
        try FileManager.default.createDirectory(atPath: brokerFiles, withIntermediateDirectories: true)
        try await PKISidecar(
            configuration: SidecarConfiguration(
                pkiURL: pkiURL, certificateDirectory: brokerFiles, hostname: "broker", subjectAlternativeNames: [.dns("localhost"), .ip("127.0.0.1")],
                keyType: .ec256, renewBefore: .seconds(3600), crlRefreshInterval: .seconds(60), waitTimeout: .seconds(5), retryMaximum: .milliseconds(500),
                token: "loadtest-pki-token-0123"
            ), logger: quietLogger
        ).bootstrap()
        let tls = BrokerConfiguration.TLSFiles(
            ca: "\(brokerFiles)/ca.crt", certificate: "\(brokerFiles)/broker.crt", key: "\(brokerFiles)/broker.key", crl: "\(brokerFiles)/ca.crl")
        let cache = root.appendingPathComponent("devices").path

        try await withTestBroker(tls: tls, plain: false, authorizer: DojotAuthorizer()) { broker in
            let first = try await DeviceRun(
                configuration: shortRun(
                    port: broker.port, devices: 4, messages: 2, transport: .mutualTLS(DeviceCertificates(directory: cache, pkiURL: pkiURL))
                ), logger: quietLogger
            ).run()
            #expect(first.connect.succeeded == 4 && first.connect.subscribed == 4)
            #expect(first.publish.acknowledged == 8)
            #expect(FileManager.default.fileExists(atPath: "\(cache)/cert_lt3/private.key"))

            // The PKI is gone: the cached certificates are enough.
            await pki.stop()
            pkiTask.cancel()
            _ = await pkiTask.result
            let second = try await DeviceRun(
                configuration: shortRun(
                    port: broker.port, devices: 4, messages: 2, transport: .mutualTLS(DeviceCertificates(directory: cache, pkiURL: pkiURL))
                ), logger: quietLogger
            ).run()
            #expect(second.connect.succeeded == 4 && second.publish.acknowledged == 8)
            #expect(second.passed, "\(second.failures)")
        }
    }
}
