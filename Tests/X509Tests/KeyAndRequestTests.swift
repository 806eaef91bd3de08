import Foundation
import TestSupport
import Testing
import X509

@Suite struct KeyAndRequestTests {
    @Test(arguments: [KeyType.rsa2048, .ec256])
    func privateKeyRoundTripsThroughPEM(type: KeyType) throws {
        let key = try PrivateKey(generating: type)
        let pem = try key.pem()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reread = try PrivateKey(pem: pem)
        #expect(try reread.publicKeyPEM() == key.publicKeyPEM())
    }

    @Test func rsa4096KeyGenerates() throws {
        let key = try PrivateKey(generating: .rsa4096)
        #expect(try key.publicKeyPEM().count > 700)
    }

    @Test func garbagePEMFailsWithOpenSSLText() {
        #expect {
            try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
        } throws: { error in
            guard let error = error as? X509Error else { return false }
            return error.operation == "parse private key PEM" && !error.openSSLErrors.isEmpty
        }
    }

    @Test func requestCarriesCommonNameAndAlternativeNames() throws {
        let names: [SubjectAlternativeName] = [.dns("iotagent-mqtt"), .dns("localhost"), .ip("10.0.0.7"), .ip("::1")]
        let request = try CertificateSigningRequest(
            key: PrivateKey(generating: .ec256), commonName: "broker", subjectAlternativeNames: names)
        let reread = try CertificateSigningRequest(pem: request.pem())
        #expect(reread.commonName == "broker")
        #expect(reread.subjectAlternativeNames == names)
        #expect(reread.hasValidSignature)
    }

    @Test func requestWithoutAlternativeNamesHasNone() throws {
        let request = try CertificateSigningRequest(key: PrivateKey(generating: .ec256), commonName: "v2k-bridge")
        #expect(request.subjectAlternativeNames.isEmpty)
    }

    @Test func invalidAlternativeNamesAreRefused() throws {
        let key = try PrivateKey(generating: .ec256)
        #expect(throws: X509Error.self) {
            try CertificateSigningRequest(key: key, commonName: "x", subjectAlternativeNames: [.ip("300.1.1.1")])
        }
        #expect(throws: X509Error.self) {
            try CertificateSigningRequest(key: key, commonName: "x", subjectAlternativeNames: [.dns("a b")])
        }
    }

    @Test func keyFileIsWrittenAtomicallyWithMode0600() throws {
        let directory = try TemporaryDirectory.make(prefix: "x509tests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("broker.key").path
        try AtomicFile.write(try PrivateKey(generating: .ec256).pem(), to: path, mode: 0o600)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["broker.key"])
    }
}
