import DevPKI
import Foundation
import HTTPClient
import PKIAPI
import PKISidecar
import ServiceRuntime
import TestSupport
import Testing
import X509

@Suite(.timeLimit(.minutes(1))) struct SidecarTests {
    @Test func enrolmentWritesTheFourFilesWithTheKeyAt0600() async throws {
        let (pkiDirectory, certDirectory) = (try TemporaryDirectory.make(prefix: "pkitests"), try TemporaryDirectory.make(prefix: "pkitests"))
        defer { [pkiDirectory, certDirectory].forEach { try? FileManager.default.removeItem(at: $0) } }
        let pki = try await RunningDevPKI.start(directory: pkiDirectory)
        let sidecar = PKISidecar(configuration: sidecarConfiguration(pkiURL: pki.url, directory: certDirectory), logger: testLogger)
        try await sidecar.bootstrap()
        let names = try FileManager.default.contentsOfDirectory(atPath: certDirectory.path).sorted()
        #expect(names == ["broker.crt", "broker.key", "ca.crl", "ca.crt"])
        #expect(try fileMode(certDirectory.appendingPathComponent("broker.key").path) == 0o600)
        #expect(try fileMode(certDirectory.appendingPathComponent("broker.crt").path) == 0o644)
        let certificate = try #require(readCertificate(certDirectory.appendingPathComponent("broker.crt").path))
        #expect(certificate.commonName == "broker")
        #expect(certificate.subjectAlternativeNames == [.dns("iotagent-mqtt"), .dns("localhost"), .ip("127.0.0.1")])
        #expect(sidecar.status.isReady())
        await pki.stop()
    }

    @Test(.enabled(if: OpenSSLCommand.isAvailable))
    func openSSLVerifiesTheWrittenCertificateWithTheCRL() async throws {
        let (pkiDirectory, certDirectory) = (try TemporaryDirectory.make(prefix: "pkitests"), try TemporaryDirectory.make(prefix: "pkitests"))
        defer { [pkiDirectory, certDirectory].forEach { try? FileManager.default.removeItem(at: $0) } }
        let pki = try await RunningDevPKI.start(directory: pkiDirectory)
        try await PKISidecar(configuration: sidecarConfiguration(pkiURL: pki.url, directory: certDirectory), logger: testLogger)
            .bootstrap()
        let path = { certDirectory.appendingPathComponent($0).path }
        let verify = try await OpenSSLCommand.run(["verify", "-CAfile", path("ca.crt"), "-crl_check", "-CRLfile", path("ca.crl"), path("broker.crt")])
        #expect(verify.status == 0, "\(verify.output)")
        let names = try await OpenSSLCommand.run(["x509", "-in", path("broker.crt"), "-noout", "-ext", "subjectAltName"])
        #expect(names.output.contains("DNS:iotagent-mqtt, DNS:localhost, IP Address:127.0.0.1"))
        let keyCheck = try await OpenSSLCommand.run(["pkey", "-in", path("broker.key"), "-noout"])
        #expect(keyCheck.status == 0)
        await pki.stop()
    }

    @Test func waitingForAnAbsentPKIIsBounded() async throws {
        let certDirectory = try TemporaryDirectory.make(prefix: "pkitests")
        defer { try? FileManager.default.removeItem(at: certDirectory) }
        var configuration = sidecarConfiguration(pkiURL: "http://127.0.0.1:1", directory: certDirectory)
        configuration.waitTimeout = .milliseconds(1500)
        let started = ContinuousClock.now
        await #expect {
            try await PKISidecar(configuration: configuration, logger: testLogger).bootstrap()
        } throws: { error in
            (error as? SidecarError)?.exitCode == 3
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(try FileManager.default.contentsOfDirectory(atPath: certDirectory.path).isEmpty)
    }

    @Test func revocationReachesTheCRLFileAndTheCertificateIsRenewed() async throws {
        let (pkiDirectory, certDirectory) = (try TemporaryDirectory.make(prefix: "pkitests"), try TemporaryDirectory.make(prefix: "pkitests"))
        defer { [pkiDirectory, certDirectory].forEach { try? FileManager.default.removeItem(at: $0) } }
        let pki = try await RunningDevPKI.start(directory: pkiDirectory)
        let sidecar = PKISidecar(configuration: sidecarConfiguration(pkiURL: pki.url, directory: certDirectory), logger: testLogger)
        try await sidecar.bootstrap()
        let certificatePath = certDirectory.appendingPathComponent("broker.crt").path
        let first = try #require(readCertificate(certificatePath))
        let maintenance = Task { await sidecar.maintain() }
        defer { maintenance.cancel() }

        #expect(try await pki.client.revoke(fingerprint: first.sha256Fingerprint()))
        let crlPath = certDirectory.appendingPathComponent("ca.crl").path
        let listed = try await eventually("the CRL to list the first certificate", timeout: .seconds(10), every: .milliseconds(100)) { () -> Bool? in
            guard let bytes = FileManager.default.contents(atPath: crlPath) else { return nil }
            return (try? RevocationList(bytes: Array(bytes)))?.contains(serialHex: first.serialHex) == true ? true : nil
        }
        #expect(listed)
        let renewed = try await eventually("a renewed certificate", timeout: .seconds(10), every: .milliseconds(100)) {
            readCertificate(certificatePath).map { $0.serialHex != first.serialHex } == true ? true : nil
        }
        #expect(renewed)
        let second = try #require(readCertificate(certificatePath))
        let ca = try #require(readCertificate(certDirectory.appendingPathComponent("ca.crt").path))
        let crl = try RevocationList(bytes: Array(try #require(FileManager.default.contents(atPath: crlPath))))
        #expect(try TrustStore(certificateAuthorities: [ca], revocationLists: [crl]).verify(second, purpose: .sslServer) == .valid)
        maintenance.cancel()
        await maintenance.value
        await pki.stop()
    }

    @Test func certificateCloseToExpiryIsRenewed() async throws {
        let (pkiDirectory, certDirectory) = (try TemporaryDirectory.make(prefix: "pkitests"), try TemporaryDirectory.make(prefix: "pkitests"))
        defer { [pkiDirectory, certDirectory].forEach { try? FileManager.default.removeItem(at: $0) } }
        let pki = try await RunningDevPKI.start(directory: pkiDirectory, certificateDays: 1)
        var configuration = sidecarConfiguration(pkiURL: pki.url, directory: certDirectory)
        configuration.renewBefore = .seconds(2 * 86_400)  // every 1-day certificate is "close to expiry"
        let sidecar = PKISidecar(configuration: configuration, logger: testLogger)
        try await sidecar.bootstrap()
        let certificatePath = certDirectory.appendingPathComponent("broker.crt").path
        let first = try #require(readCertificate(certificatePath))
        let maintenance = Task { await sidecar.maintain() }
        let renewed = try await eventually("a renewed certificate", timeout: .seconds(10), every: .milliseconds(100)) {
            readCertificate(certificatePath).map { $0.serialHex != first.serialHex } == true ? true : nil
        }
        maintenance.cancel()
        await maintenance.value
        #expect(renewed)
        #expect(sidecar.status.snapshot.enrolments >= 2)
        await pki.stop()
    }

    @Test func anOutageKeepsTheFilesAndTheSidecarRecoversWhenThePKIReturns() async throws {
        let (pkiDirectory, certDirectory) = (try TemporaryDirectory.make(prefix: "pkitests"), try TemporaryDirectory.make(prefix: "pkitests"))
        defer { [pkiDirectory, certDirectory].forEach { try? FileManager.default.removeItem(at: $0) } }
        let pki = try await RunningDevPKI.start(directory: pkiDirectory)
        let port = pki.server.port
        let sidecar = PKISidecar(configuration: sidecarConfiguration(pkiURL: pki.url, directory: certDirectory), logger: testLogger)
        try await sidecar.bootstrap()
        let files = try FileManager.default.contentsOfDirectory(atPath: certDirectory.path).sorted()
        let before = files.map { FileManager.default.contents(atPath: certDirectory.appendingPathComponent($0).path) }
        await pki.stop()

        let maintenance = Task { await sidecar.maintain() }
        defer { maintenance.cancel() }
        #expect(try await eventually("two failures", timeout: .seconds(10), every: .milliseconds(100)) { sidecar.status.snapshot.consecutiveFailures >= 2 ? true : nil })
        let during = files.map { FileManager.default.contents(atPath: certDirectory.appendingPathComponent($0).path) }
        #expect(during == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: certDirectory.path).sorted() == files)

        let back = try await RunningDevPKI.start(directory: pkiDirectory, port: port)
        let revokeWhileUp = try #require(readCertificate(certDirectory.appendingPathComponent("broker.crt").path))
        #expect(try await back.client.revoke(fingerprint: revokeWhileUp.sha256Fingerprint()))
        let recovered = try await eventually("the sidecar to recover", timeout: .seconds(10), every: .milliseconds(100)) {
            sidecar.status.snapshot.consecutiveFailures == 0
                && readCertificate(certDirectory.appendingPathComponent("broker.crt").path)?.serialHex != revokeWhileUp.serialHex ? true : nil
        }
        #expect(recovered)
        maintenance.cancel()
        await maintenance.value
        await back.stop()
    }

    @Test func opsEndpointIsReadyOnlyOnceACertificateIsInPlace() async throws {
        let (pkiDirectory, certDirectory) = (try TemporaryDirectory.make(prefix: "pkitests"), try TemporaryDirectory.make(prefix: "pkitests"))
        defer { [pkiDirectory, certDirectory].forEach { try? FileManager.default.removeItem(at: $0) } }
        let pki = try await RunningDevPKI.start(directory: pkiDirectory)
        MetricsBootstrap.bootstrap()  // before the sidecar makes its series, as ServiceMain does
        let sidecar = PKISidecar(configuration: sidecarConfiguration(pkiURL: pki.url, directory: certDirectory), logger: testLogger)
        let ops = OpsHTTPServer(host: "127.0.0.1", port: 0, readiness: sidecar.readinessCheck, logger: testLogger)
        let serving = Task { try await ops.run() }
        let base = "http://127.0.0.1:\(try await ops.localPort())"
        let http = HTTPClient()
        #expect(try await http.get(base + "/health").status == 200)
        let before = try await http.get(base + "/ready")
        #expect(before.status == 503)
        #expect(before.bodyText.contains("certificate"))
        try await sidecar.bootstrap()
        #expect(try await http.get(base + "/ready").status == 200)
        #expect(try await http.get(base + "/metrics").bodyText.contains("pki_sidecar_enrolments_total"))
        serving.cancel()
        _ = await serving.result
        await pki.stop()
    }

    @Test func deviceHelperWritesCAAndOneDirectoryPerDevice() async throws {
        let (pkiDirectory, out) = (try TemporaryDirectory.make(prefix: "pkitests"), try TemporaryDirectory.make(prefix: "pkitests"))
        defer { [pkiDirectory, out].forEach { try? FileManager.default.removeItem(at: $0) } }
        let pki = try await RunningDevPKI.start(directory: pkiDirectory)
        let enrollment = DeviceEnrollment(
            client: PKIClient(baseURL: pki.url), outputDirectory: out.path, tenant: "t1", keyType: .ec256, logger: testLogger)
        let fingerprints = try await enrollment.enrol(ids: ["dev1", "dev2"])
        #expect(fingerprints.keys.sorted() == ["dev1", "dev2"])
        let ca = try #require(readCertificate(out.appendingPathComponent("ca/ca.pem").path))
        for id in ["dev1", "dev2"] {
            let directory = out.appendingPathComponent("cert_\(id)")
            let certificate = try #require(readCertificate(directory.appendingPathComponent("cert.pem").path))
            #expect(certificate.commonName == "t1:\(id)")
            #expect(try certificate.sha256Fingerprint() == fingerprints[id])
            #expect(try fileMode(directory.appendingPathComponent("private.key").path) == 0o600)
            let key = try PrivateKey(pem: String(contentsOfFile: directory.appendingPathComponent("private.key").path, encoding: .utf8))
            #expect(key.matches(certificate))
            #expect(try TrustStore(certificateAuthorities: [ca]).verify(certificate) == .valid)
        }
        await pki.stop()
    }

    @Test func configurationReadsSANsAndTheOriginalPKIAddress() throws {
        var environment = EnvironmentReader([
            "HOSTNAME": "iotagent-mqtt", "EJBCA_ADDRESS": "pki:3000", "INTERNAL_DNS": "vernemq-k8s",
            "EXTERNAL_SERVER_HOSTNAME": "mqtt.example.com", "EXTERNAL_SERVER_IP": "10.1.2.3", "PKI_KEY_TYPE": "ec256",
        ])
        let configuration = try SidecarConfiguration(from: &environment)
        #expect(configuration.pkiURL == "http://pki:3000")
        #expect(configuration.subjectAlternativeNames == [.dns("vernemq-k8s"), .dns("mqtt.example.com"), .ip("10.1.2.3")])
        #expect(configuration.keyType == .ec256)
        #expect(configuration.crlRefreshInterval == .seconds(7200))
        #expect(configuration.renewBefore == .seconds(43200))
        var both = EnvironmentReader(["HOSTNAME": "b", "PKI_URL": "https://pki.example:8443", "EJBCA_ADDRESS": "x:1"])
        let preferred = try SidecarConfiguration(from: &both)
        #expect(preferred.pkiURL == "https://pki.example:8443")
        #expect(preferred.subjectAlternativeNames.isEmpty)
    }

    @Test func badSidecarSettingsNameTheVariable() {
        let cases = [
            ("PKI_KEY_TYPE", "dsa"), ("EXTERNAL_SERVER_IP", "999.1.1.1"), ("CRL_UPDATE_INTERVAL_SEC", "0"),
            ("CHECKEND_EXPIRATION_SEC", "-1"), ("PKI_WAIT_TIMEOUT_SEC", "soon"), ("PKI_URL", "ftp://x"), ("PKI_HTTP_PORT", "99999"),
        ]
        for (name, value) in cases {
            var environment = EnvironmentReader(["HOSTNAME": "b", name: value])
            #expect {
                try SidecarConfiguration(from: &environment)
            } throws: { error in
                (error as? ConfigurationError)?.variable == name
            }
        }
    }
}
