import Foundation
import TestSupport
import Testing
import X509

@Suite struct RevocationListTests {
    @Test func crlListsRevokedSerialsAndRoundTripsThroughPEMAndDER() throws {
        let ca = try Fixtures.makeCA()
        let revoked = try Fixtures.issue(by: ca).certificate
        let kept = try Fixtures.issue(by: ca).certificate
        let when = Date(timeIntervalSince1970: 1_750_000_000)
        let now = Date()
        let crl = try ca.makeRevocationList(
            revoked: [RevokedCertificate(serialHex: revoked.serialHex, revocationDate: when)],
            lastUpdate: now, nextUpdate: now + 7 * 86_400, number: 5)
        for parsed in [try RevocationList(bytes: Array(crl.pem().utf8)), try RevocationList(bytes: crl.der())] {
            #expect(parsed.contains(serialHex: revoked.serialHex))
            #expect(parsed.contains(serialHex: revoked.serialHex.lowercased()))
            #expect(!parsed.contains(serialHex: kept.serialHex))
            #expect(parsed.revokedCertificates == [RevokedCertificate(serialHex: revoked.serialHex, revocationDate: when)])
            #expect(parsed.issuerCommonName == "Test CA")
            #expect(abs(parsed.lastUpdate.timeIntervalSince(now)) < 1)
            #expect(parsed.nextUpdate.map { abs($0.timeIntervalSince(now + 7 * 86_400)) < 1 } == true)
            #expect(!parsed.isExpired())
            #expect(parsed.isSigned(by: ca.certificate))
        }
    }

    @Test func crlIsNotSignedByAnotherCA() throws {
        let crl = try Fixtures.makeCA().makeRevocationList(revoked: [], nextUpdate: Date() + 60, number: 1)
        #expect(!crl.isSigned(by: try Fixtures.makeCA().certificate))
    }

    @Test func garbageIsNotACRL() {
        #expect(throws: X509Error.self) { try RevocationList(bytes: [0x30, 0x03, 0x01, 0x02]) }
        #expect(throws: X509Error.self) { try RevocationList(bytes: Array("-----BEGIN X509 CRL-----\n".utf8)) }
    }

    @Test(.enabled(if: OpenSSLCommand.isAvailable))
    func openSSLReadsTheCRL() async throws {
        let directory = try TemporaryDirectory.make(prefix: "x509tests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let ca = try Fixtures.makeCA()
        let crl = try ca.makeRevocationList(
            revoked: [RevokedCertificate(serialHex: "0ABC", revocationDate: Date())], nextUpdate: Date() + 60, number: 9)
        let path = directory.appendingPathComponent("ca.crl").path
        try AtomicFile.write(crl.pem(), to: path)
        let caPath = directory.appendingPathComponent("ca.crt").path
        try AtomicFile.write(ca.certificate.pem(), to: caPath)
        let result = try await OpenSSLCommand.run(["crl", "-in", path, "-noout", "-text", "-CAfile", caPath])
        #expect(result.status == 0)
        #expect(result.output.contains("verify OK"))
        #expect(result.output.contains("Serial Number: 0ABC"))
        #expect(result.output.contains("X509v3 CRL Number"))
    }
}
