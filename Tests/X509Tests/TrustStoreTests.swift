import Foundation
import TestSupport
import Testing
import X509

@Suite struct TrustStoreTests {
    @Test func chainFromTheCAVerifiesForClientAndServer() throws {
        let ca = try Fixtures.makeCA()
        let (leaf, _) = try Fixtures.issue(by: ca)
        let store = try TrustStore(certificateAuthorities: [ca.certificate])
        #expect(store.verify(leafDER: try leaf.der()) == .valid)
        #expect(store.verify(leaf, purpose: .sslServer) == .valid)
        #expect(!store.checksRevocation)
    }

    @Test func certificateFromAnotherCAIsRejected() throws {
        let (leaf, _) = try Fixtures.issue(by: Fixtures.makeCA("Other CA"))
        let store = try TrustStore(certificateAuthorities: [Fixtures.makeCA().certificate])
        let failure = store.verify(leafDER: try leaf.der()).failure
        #expect(failure?.code == 20)
        #expect(failure?.kind == .unknownIssuer)
        #expect(failure?.depth == 0)
    }

    @Test func expiredCertificateIsRejectedWithCode10() throws {
        let ca = try Fixtures.makeCA()
        let past = Date() - 10 * 86_400
        let (leaf, _) = try Fixtures.issue(by: ca, validity: Validity(notBefore: past, notAfter: past + 86_400))
        let failure = try TrustStore(certificateAuthorities: [ca.certificate]).verify(leaf).failure
        #expect(failure?.code == 10)
        #expect(failure?.kind == .expired)
        #expect(failure?.reason == "certificate has expired")
    }

    @Test func revokedCertificateIsRejectedWithCode23() throws {
        let ca = try Fixtures.makeCA()
        let (revoked, _) = try Fixtures.issue(by: ca)
        let (kept, _) = try Fixtures.issue(by: ca)
        let crl = try ca.makeRevocationList(
            revoked: [RevokedCertificate(serialHex: revoked.serialHex, revocationDate: Date())],
            nextUpdate: Date() + 3600, number: 2)
        let store = try TrustStore(certificateAuthorities: [ca.certificate], revocationLists: [crl])
        #expect(store.checksRevocation)
        let failure = store.verify(leafDER: try revoked.der()).failure
        #expect(failure?.code == 23)
        #expect(failure?.isRevoked == true)
        #expect(store.verify(leafDER: try kept.der()) == .valid)
        #expect(store.isRevoked(serial: revoked.serialHex))
        #expect(!store.isRevoked(serial: kept.serialHex))
        let serialBytes = stride(from: 0, to: revoked.serialHex.count, by: 2).map { offset -> UInt8 in
            let digits = revoked.serialHex.dropFirst(offset).prefix(2)
            return UInt8(digits, radix: 16)!
        }
        #expect(store.isRevoked(serialBytes: [0x00] + serialBytes))
    }

    @Test func crlCheckingWithoutACRLForTheIssuerRejectsWithCode3() throws {
        let ca = try Fixtures.makeCA()
        let (leaf, _) = try Fixtures.issue(by: ca)
        let store = try TrustStore(certificateAuthorities: [ca.certificate], checkRevocation: true)
        #expect(store.verify(leaf).failure?.code == 3)
        #expect(store.verify(leaf).failure?.kind == .crlUnavailable)
    }

    @Test func expiredCRLRejectsEveryChainWithCode12() throws {
        let ca = try Fixtures.makeCA()
        let (leaf, _) = try Fixtures.issue(by: ca)
        let crl = try ca.makeRevocationList(
            revoked: [], lastUpdate: Date() - 7200, nextUpdate: Date() - 3600, number: 1)
        let store = try TrustStore(certificateAuthorities: [ca.certificate], revocationLists: [crl])
        #expect(store.verify(leaf).failure?.code == 12)
        #expect(store.earliestRevocationListExpiry.map { $0 < Date() } == true)
    }

    @Test func serverOnlyCertificateIsRejectedAsAClient() throws {
        let ca = try Fixtures.makeCA()
        let key = try PrivateKey(generating: .ec256)
        let request = try CertificateSigningRequest(key: key, commonName: "server-only")
        let leaf = try ca.sign(request, usage: .serverAuth, validity: .days(1))
        let store = try TrustStore(certificateAuthorities: [ca.certificate])
        #expect(store.verify(leaf, purpose: .sslClient).failure?.kind == .wrongPurpose)
        #expect(store.verify(leaf, purpose: .sslServer) == .valid)
    }

    @Test func malformedLeafIsReportedNotCrashed() throws {
        let store = try TrustStore(certificateAuthorities: [Fixtures.makeCA().certificate])
        #expect(store.verify(leafDER: [0x30, 0x00]).failure?.kind == .malformed)
    }

    @Test func oneStoreVerifiesConcurrentlyFromManyTasks() async throws {
        let ca = try Fixtures.makeCA()
        let (revoked, _) = try Fixtures.issue(by: ca)
        let (kept, _) = try Fixtures.issue(by: ca)
        let crl = try ca.makeRevocationList(
            revoked: [RevokedCertificate(serialHex: revoked.serialHex, revocationDate: Date())],
            nextUpdate: Date() + 3600, number: 1)
        let store = try TrustStore(certificateAuthorities: [ca.certificate], revocationLists: [crl])
        let keptDER = try kept.der()
        let revokedDER = try revoked.der()
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for _ in 0..<50 {
                        if store.verify(leafDER: keptDER) != .valid { wrong += 1 }
                        if store.verify(leafDER: revokedDER).failure?.code != 23 { wrong += 1 }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    @Test(.enabled(if: OpenSSLCommand.isAvailable))
    func openSSLVerifyAgreesOnValidAndRevoked() async throws {
        let directory = try TemporaryDirectory.make(prefix: "x509tests")
        defer { try? FileManager.default.removeItem(at: directory) }
        let ca = try Fixtures.makeCA(keyType: .rsa2048)
        let (revoked, _) = try Fixtures.issue(by: ca)
        let (kept, _) = try Fixtures.issue(by: ca)
        let crl = try ca.makeRevocationList(
            revoked: [RevokedCertificate(serialHex: revoked.serialHex, revocationDate: Date())],
            nextUpdate: Date() + 3600, number: 1)
        func file(_ name: String, _ text: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try AtomicFile.write(text, to: path)
            return path
        }
        let caPath = try file("ca.crt", ca.certificate.pem())
        let crlPath = try file("ca.crl", crl.pem())
        let keptPath = try file("kept.crt", kept.pem())
        let revokedPath = try file("revoked.crt", revoked.pem())
        #expect(try await OpenSSLCommand.run(["verify", "-CAfile", caPath, keptPath]).status == 0)
        #expect(try await OpenSSLCommand.run(["verify", "-CAfile", caPath, "-crl_check", "-CRLfile", crlPath, keptPath]).status == 0)
        let refused = try await OpenSSLCommand.run(["verify", "-CAfile", caPath, "-crl_check", "-CRLfile", crlPath, revokedPath])
        #expect(refused.status != 0)
        #expect(refused.output.contains("certificate revoked"))
    }
}
