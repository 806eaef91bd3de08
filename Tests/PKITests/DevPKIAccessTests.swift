import DevPKI
import Foundation
import HTTPClient
import PKIAPI
import PKISidecar
import ServiceRuntime
import TestSupport
import Testing
import X509

/// What an anonymous caller of dev-pki could get before it had an access model: service rights,
/// any device's identity, a broker impersonator's certificate, anyone's revocation.
@Suite(.timeLimit(.minutes(1))) struct DevPKIAccessTests {
    let http = HTTPClient(configuration: HTTPClientConfiguration(totalTimeout: .seconds(10)))

    private func csrBody(_ subject: [String], names: [SubjectAlternativeName] = []) async throws -> [UInt8] {
        let request = try CertificateSigningRequest(key: PrivateKey(generating: .ec256), commonName: subject[0], subjectAlternativeNames: names)
        var pem = try request.pem()
        if subject.count > 1 { pem = try await Self.opensslCSR(subject: "/" + subject.map { "CN=\($0)" }.joined(separator: "/")) }
        return Array(try JSONEncoder().encode(CSRRequestBody(csr: pem)))
    }

    /// A CSR with several CNs, which our X509 module never makes.
    private static func opensslCSR(subject: String) async throws -> String {
        try await ProcessRunner.shell(
            "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout /dev/null -subj '\(subject)' 2>/dev/null"
        ).standardOutput
    }

    private func isValid(_ result: VerificationResult) -> Bool {
        if case .valid = result { return true }
        return false
    }

    private func issued(_ response: HTTPResponse) throws -> Certificate {
        try Certificate(pem: JSONDecoder().decode(IssuedCertificateBody.self, from: Data(response.body)).certificatePem)
    }

    @Test func throwAwayAndRevocationNeedTheToken() async throws {
        let directory = try TemporaryDirectory.make(prefix: "pkitests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try await RunningDevPKI.start(directory: directory)
        let device = try issued(try await http.post(pki.url + PKIPaths.certificates, json: try await csrBody(["dev1"])))
        let path = pki.url + PKIPaths.certificate(fingerprint: try device.sha256Fingerprint())
        for headers in [[], [(name: "Authorization", value: "Bearer wrong-token-0123456789")], [(name: "Authorization", value: testPKIToken)]] {
            #expect(try await http.post(pki.url + PKIPaths.throwAway, json: try await csrBody(["v2k-bridge"]), headers: headers).status == 401)
            #expect(try await http.delete(path, headers: headers).status == 401)
        }
        #expect(try await http.get(path).status == 200, "an unauthorised DELETE revoked the certificate")
        #expect(try await http.delete(path, headers: testPKIAuthorization).status == 204)
        await pki.stop()
    }

    @Test func throwAwaySignsOnlyConfiguredNamesAndServerAuthOnlyForServers() async throws {
        let directory = try TemporaryDirectory.make(prefix: "pkitests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try await RunningDevPKI.start(directory: directory)
        let url = pki.url + PKIPaths.throwAway
        for subject in [["admin:b2"], ["evil"], ["v2k"], ["v2k-bridge", "admin:b2"]] {
            let response = try await http.post(url, json: try await csrBody(subject), headers: testPKIAuthorization)
            #expect(response.status == 403 || response.status == 400, "signed \(subject): \(response.status)")
        }
        let ca = try await pki.client.caCertificate()
        let store = try TrustStore(certificateAuthorities: [ca], revocationLists: [], checkRevocation: false)

        // A service: client only, no SANs, so it cannot pose as the broker.
        let service = try issued(try await http.post(url, json: try await csrBody(["v2k-bridge-7f9c"], names: [.dns("localhost")]), headers: testPKIAuthorization))
        #expect(service.commonNames == ["v2k-bridge-7f9c"])
        #expect(service.subjectAlternativeNames.isEmpty)
        #expect(!isValid(store.verify(leafDER: try service.der(), chainDER: [], purpose: .sslServer)))
        #expect(isValid(store.verify(leafDER: try service.der(), chainDER: [], purpose: .sslClient)))

        // The server keeps its SANs and serverAuth.
        let server = try issued(try await http.post(url, json: try await csrBody(["iotagent-mqtt"], names: [.dns("localhost")]), headers: testPKIAuthorization))
        #expect(server.subjectAlternativeNames == [.dns("localhost")])
        #expect(isValid(store.verify(leafDER: try server.der(), chainDER: [], purpose: .sslServer)))
        await pki.stop()
    }

    @Test func deviceCertificatesOnlyForDojotNames() async throws {
        let directory = try TemporaryDirectory.make(prefix: "pkitests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try await RunningDevPKI.start(directory: directory)
        for tenant in ["a+b", "a#", "a/b", "a.b", "a:b"] {
            let response = try await http.post(pki.url + PKIPaths.certificates, json: try await csrBody(["dev1"]), headers: [("X-Tenant", tenant)])
            #expect(response.status == 400, "tenant \(tenant) accepted")
        }
        for id in ["a+b", "d#", "x/y", "dé", "a.b"] {
            #expect(try await http.post(pki.url + PKIPaths.certificates, json: try await csrBody([id])).status == 400, "device id \(id) accepted")
        }
        #expect(try await http.post(pki.url + PKIPaths.certificates, json: try await csrBody(["dev1", "dev2"])).status == 400)
        #expect(try await http.post(pki.url + PKIPaths.certificates, json: try await csrBody(["a1998e"]), headers: [("X-Tenant", "tenant_2")]).status == 201)
        await pki.stop()
    }

    @Test func withoutAConfiguredTokenOneIsMadeAndKeptInTheDataDirectory() async throws {
        let directory = try TemporaryDirectory.make(prefix: "pkitests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await RunningDevPKI.start(directory: directory, token: nil)
        let file = directory.appendingPathComponent(AccessToken.fileName).path
        #expect(try fileMode(file) == 0o600)
        var environment = EnvironmentReader(["PKI_TOKEN_FILE": file])
        let token = try #require(try SidecarConfiguration.resolveToken(&environment))
        #expect(token.count == 64)
        let headers = [(name: "Authorization", value: "Bearer \(token)")]
        #expect(try await http.post(first.url + PKIPaths.throwAway, json: try await csrBody(["k2v-bridge"]), headers: headers).status == 201)
        await first.stop()
        // A restart keeps it.
        let second = try await RunningDevPKI.start(directory: directory, token: nil)
        #expect(try await http.post(second.url + PKIPaths.throwAway, json: try await csrBody(["k2v-bridge"]), headers: headers).status == 201)
        await second.stop()
    }

    @Test func readyAndMetricsAreServedLikeEveryOtherService() async throws {
        let directory = try TemporaryDirectory.make(prefix: "pkitests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try await RunningDevPKI.start(directory: directory)
        #expect(try await http.get(pki.url + "/ready").status == 200)
        #expect(try await http.post(pki.url + PKIPaths.certificates, json: try await csrBody(["m1"])).status == 201)
        #expect(try await http.post(pki.url + PKIPaths.throwAway, json: try await csrBody(["v2k-bridge"])).status == 401)
        let page = try await http.get(pki.url + "/metrics").bodyText
        #expect(page.contains("dev_pki_certificates_issued_total{kind=\"device\"}"))
        #expect(page.contains("dev_pki_unauthorized_total"))
        #expect(try await http.post(pki.url + "/ready", json: []).status == 405)
        await pki.stop()
    }

    /// The ops routes are the very ones of the other services, beside the API on the same port.
    @Test func opsRoutesAnswerAsOnEveryOtherService() async throws {
        let directory = try TemporaryDirectory.make(prefix: "pkitests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try await RunningDevPKI.start(directory: directory)
        let health = try await http.get(pki.url + "/health")
        #expect(health.status == 200 && health.bodyText == #"{"status":"ok"}"#)
        let ready = try await http.get(pki.url + "/ready?probe=1")
        #expect(ready.bodyText == #"{"status":"ready"}"#)
        #expect(ready.header("content-type") == "application/json")
        let metrics = try await http.get(pki.url + "/metrics")
        #expect(metrics.header("content-type") == "text/plain; version=0.0.4")
        let refused = try await http.delete(pki.url + "/metrics")
        #expect(refused.status == 405 && refused.header("allow") == "GET")
        #expect(try await http.get(pki.url + PKIPaths.ca).status == 200)
        await pki.stop()
    }
}
