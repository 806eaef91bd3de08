import Foundation
import TestSupport
import Testing
import X509

@Suite struct CertificateTests {
    @Test func selfSignedCAIsACertificateAuthority() throws {
        let ca = try Fixtures.makeCA("Root")
        #expect(ca.certificate.commonName == "Root")
        #expect(ca.certificate.issuerCommonName == "Root")
        #expect(ca.certificate.isCertificateAuthority)
        #expect(ca.certificate.notAfter > Date().addingTimeInterval(3000 * 86_400))
    }

    @Test func caRefusesAKeyThatIsNotItsOwn() throws {
        let ca = try Fixtures.makeCA()
        #expect(throws: X509Error.self) {
            try CertificateAuthority(certificate: ca.certificate, key: PrivateKey(generating: .ec256))
        }
    }

    @Test func issuedCertificateCopiesAlternativeNamesAndIsNotACA() throws {
        let ca = try Fixtures.makeCA()
        let names: [SubjectAlternativeName] = [.dns("iotagent-mqtt"), .ip("192.168.0.10")]
        let (certificate, key) = try Fixtures.issue(by: ca, commonName: "broker", names: names)
        #expect(certificate.commonName == "broker")
        #expect(certificate.issuerCommonName == "Test CA")
        #expect(certificate.subjectAlternativeNames == names)
        #expect(!certificate.isCertificateAuthority)
        #expect(key.matches(certificate))
        #expect(!ca.key.matches(certificate))
    }

    @Test func subjectCanBeReplacedForDeviceCertificates() throws {
        let ca = try Fixtures.makeCA()
        let (certificate, _) = try Fixtures.issue(
            by: ca, commonName: "abc123", subject: .commonName("admin:abc123", organization: "dojot IoT Platform"))
        #expect(certificate.commonName == "admin:abc123")
        #expect(Certificate.commonName(fromDER: try certificate.der()) == "admin:abc123")
    }

    @Test func validityIsAsRequested() throws {
        let ca = try Fixtures.makeCA()
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let (certificate, _) = try Fixtures.issue(by: ca, validity: Validity(notBefore: start, notAfter: start + 86_400))
        #expect(certificate.notBefore == start)
        #expect(certificate.notAfter == start + 86_400)
        #expect(certificate.expires(within: 0))
    }

    @Test func serialsAreRandomAndHex() throws {
        let ca = try Fixtures.makeCA()
        let first = try Fixtures.issue(by: ca).certificate.serialHex
        let second = try Fixtures.issue(by: ca).certificate.serialHex
        #expect(first != second)
        #expect(first.count >= 30 && first.allSatisfy { $0.isHexDigit && !$0.isLowercase })
    }

    @Test func pemAndDERRoundTrip() throws {
        let ca = try Fixtures.makeCA()
        let (certificate, _) = try Fixtures.issue(by: ca)
        #expect(try Certificate(pem: certificate.pem()).der() == certificate.der())
        #expect(try Certificate(der: certificate.der()).serialHex == certificate.serialHex)
        let bundle = try certificate.pem() + ca.certificate.pem()
        #expect(try Certificate.chain(pem: bundle).map(\.commonName) == ["device-1", "Test CA"])
    }

    @Test func fingerprintIsUpperCaseColonSeparatedSHA256() throws {
        let fingerprint = try Fixtures.issue(by: Fixtures.makeCA()).certificate.sha256Fingerprint()
        #expect(fingerprint.count == 32 * 3 - 1)
        #expect(fingerprint.split(separator: ":").allSatisfy { $0.count == 2 && $0.uppercased() == $0 })
    }

    @Test(.enabled(if: OpenSSLCommand.isAvailable))
    func fieldsAgreeWithTheOpenSSLCommand() async throws {
        let directory = try TemporaryDirectory.make(prefix: "x509tests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (certificate, _) = try Fixtures.issue(by: Fixtures.makeCA(), names: [.dns("a.example")])
        let path = directory.appendingPathComponent("leaf.crt").path
        try AtomicFile.write(certificate.pem(), to: path)
        let fingerprint = try await OpenSSLCommand.run(["x509", "-in", path, "-noout", "-fingerprint", "-sha256"])
        #expect(fingerprint.output.contains("=\(try certificate.sha256Fingerprint())"))
        let serial = try await OpenSSLCommand.run(["x509", "-in", path, "-noout", "-serial"])
        #expect(ASN1Serial.strip(serial.output) == certificate.serialHex)
        let text = try await OpenSSLCommand.run(["x509", "-in", path, "-noout", "-text"])
        #expect(text.output.contains("DNS:a.example"))
        #expect(text.output.contains("TLS Web Server Authentication, TLS Web Client Authentication"))
        #expect(text.output.contains("CA:FALSE"))
        #expect(text.output.contains("X509v3 Authority Key Identifier"))
    }
}

/// `openssl x509 -serial` prints `serial=0A1B...`, possibly with leading zeros.
enum ASN1Serial {
    static func strip(_ output: String) -> String {
        let value = output.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "serial=", with: "")
        let trimmed = value.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }
}
