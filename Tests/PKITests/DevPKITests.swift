import DevPKI
import Foundation
import HTTPClient
import PKIAPI
import PKISidecar
import ServiceRuntime
import TestSupport
import Testing
import X509

@Suite(.timeLimit(.minutes(1))) struct DevPKITests {
    let http = HTTPClient(configuration: HTTPClientConfiguration(totalTimeout: .seconds(10)))

    private func csr(_ commonName: String) throws -> [UInt8] {
        let request = try CertificateSigningRequest(key: PrivateKey(generating: .ec256), commonName: commonName)
        return Array(try JSONEncoder().encode(CSRRequestBody(csr: try request.pem())))
    }

    @Test func malformedJSONAndUnparsableCSRGet400() async throws {
        let directory = try TemporaryDirectory.make(prefix: "pkitests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try await RunningDevPKI.start(directory: directory)
        for path in [PKIPaths.throwAway, PKIPaths.certificates] {
            let malformed = try await http.post(pki.url + path, json: Array("{not json".utf8), headers: testPKIAuthorization)
            #expect(malformed.status == 400)
            #expect(malformed.bodyText.contains("\"error\""))
            let missing = try await http.post(pki.url + path, json: Array("{}".utf8), headers: testPKIAuthorization)
            #expect(missing.status == 400)
            let badCSR = try await http.post(
                pki.url + path, json: Array(#"{"csr":"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"}"#.utf8), headers: testPKIAuthorization)
            #expect(badCSR.status == 400)
            #expect(badCSR.bodyText.contains("does not parse"))
        }
        await pki.stop()
    }

    @Test func unknownFingerprintGets404AndUnknownRoutesToo() async throws {
        let directory = try TemporaryDirectory.make(prefix: "pkitests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try await RunningDevPKI.start(directory: directory)
        #expect(try await http.delete(pki.url + PKIPaths.certificate(fingerprint: "AA:BB"), headers: testPKIAuthorization).status == 404)
        #expect(try await http.get(pki.url + PKIPaths.certificate(fingerprint: "AA:BB")).status == 404)
        #expect(try await http.get(pki.url + "/nothing/here").status == 404)
        #expect(try await http.delete(pki.url + PKIPaths.throwAwayCA).status == 405)
        await pki.stop()
    }

    @Test func deviceCertificateGetsTenantPrefixedCNFromHeaderOrDefault() async throws {
        let directory = try TemporaryDirectory.make(prefix: "pkitests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try await RunningDevPKI.start(directory: directory)
        let withHeader = try await http.post(pki.url + PKIPaths.certificates, json: try csr("abc123"), headers: [("X-Tenant", "tenant1")])
        #expect(withHeader.status == 201)
        let body = try JSONDecoder().decode(IssuedCertificateBody.self, from: Data(withHeader.body))
        let certificate = try Certificate(pem: body.certificatePem)
        #expect(certificate.commonName == "tenant1:abc123")
        #expect(try certificate.sha256Fingerprint() == body.certificateFingerprint)
        let withDefault = try await http.post(pki.url + PKIPaths.certificates, json: try csr("def456"))
        let defaultBody = try JSONDecoder().decode(IssuedCertificateBody.self, from: Data(withDefault.body))
        #expect(try Certificate(pem: defaultBody.certificatePem).commonName == "admin:def456")
        let refused = try await http.post(pki.url + PKIPaths.certificates, json: try csr("a:b"))
        #expect(refused.status == 400)
        await pki.stop()
    }

    @Test func throwAwayServerCertificateKeepsCSRNameAndSANs() async throws {
        let directory = try TemporaryDirectory.make(prefix: "pkitests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try await RunningDevPKI.start(directory: directory)
        let request = try CertificateSigningRequest(
            key: PrivateKey(generating: .ec256), commonName: "iotagent-mqtt", subjectAlternativeNames: [.dns("v2k")])
        let certificate = try await pki.client.signServiceCertificate(request)
        #expect(certificate.commonName == "iotagent-mqtt")
        #expect(certificate.subjectAlternativeNames == [.dns("v2k")])
        await pki.stop()
    }

    @Test func revokingByFingerprintRemovesTheRecordAndListsTheSerialInTheCRL() async throws {
        let directory = try TemporaryDirectory.make(prefix: "pkitests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pki = try await RunningDevPKI.start(directory: directory)
        let issued = try JSONDecoder().decode(
            IssuedCertificateBody.self, from: Data(try await http.post(pki.url + PKIPaths.certificates, json: try csr("dev1")).body))
        let path = pki.url + PKIPaths.certificate(fingerprint: issued.certificateFingerprint)
        #expect(try await http.get(path).status == 200)
        #expect(try await http.delete(path, headers: testPKIAuthorization).status == 204)
        #expect(try await http.get(path).status == 404)
        #expect(try await http.delete(path, headers: testPKIAuthorization).status == 404)
        let crl = try await PKIClient(baseURL: pki.url).revocationList()
        let ca = try await PKIClient(baseURL: pki.url).caCertificate()
        #expect(crl.contains(serialHex: try Certificate(pem: issued.certificatePem).serialHex))
        #expect(crl.isSigned(by: ca))
        await pki.stop()
    }

    @Test func restartKeepsTheCAAndTheRecords() async throws {
        let directory = try TemporaryDirectory.make(prefix: "pkitests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await RunningDevPKI.start(directory: directory)
        let caBefore = try await PKIClient(baseURL: first.url).caCertificate().sha256Fingerprint()
        let issued = try JSONDecoder().decode(
            IssuedCertificateBody.self, from: Data(try await http.post(first.url + PKIPaths.certificates, json: try csr("dev1")).body))
        await first.stop()
        #expect(try fileMode(directory.appendingPathComponent("ca.key").path) == 0o600)

        let second = try await RunningDevPKI.start(directory: directory)
        #expect(try await PKIClient(baseURL: second.url).caCertificate().sha256Fingerprint() == caBefore)
        #expect(try await http.delete(second.url + PKIPaths.certificate(fingerprint: issued.certificateFingerprint), headers: testPKIAuthorization).status == 204)
        await second.stop()
    }

    @Test func configurationErrorsNameTheVariable() {
        let cases = [
            ("DEV_PKI_PORT", "70000"), ("DEV_PKI_CRL_DAYS", "0"), ("DEV_PKI_CERT_DAYS", "x"), ("DEV_PKI_DEFAULT_TENANT", "a:b"),
            ("DEV_PKI_BIND", " "), ("DEV_PKI_CA_KEY_TYPE", "dsa"), ("DEV_PKI_DEFAULT_TENANT", "a+b"), ("DEV_PKI_TOKEN", "short"),
            ("DEV_PKI_SERVICE_NAMES", "*"), ("DEV_PKI_SERVER_NAMES", "admin:b2"),
        ]
        for (name, value) in cases {
            var environment = EnvironmentReader([name: value])
            #expect {
                try DevPKIConfiguration(from: &environment)
            } throws: { error in
                (error as? ConfigurationError)?.variable == name && "\(error)".contains(name)
            }
        }
        var empty = EnvironmentReader([:])
        let defaults = try? DevPKIConfiguration(from: &empty)
        #expect(defaults?.port == 3000)
        #expect(defaults?.crlDays == 7)
        #expect(defaults?.dataDirectory == "./data/dev-pki")
        #expect(defaults?.token == nil)
        #expect(defaults?.throwAway == ThrowAwayPolicy(serverNames: [.init("iotagent-mqtt")], serviceNames: [.init("v2k-bridge*"), .init("k2v-bridge*")]))
    }
}
