import Foundation
import MQTTCore
import NIOCore
import NIOSSL
import Testing
import X509

/// Attacks on the mutual-TLS listener that a valid-looking certificate or a well-timed CRL
/// change would make work: each test here failed on the broker before these checks existed.
@Suite struct BrokerTLSHardeningTests {
    private let tls = BrokerTLSTests()

    @Test func certificateRevokedBetweenAcceptAndHandshakeIsRefused() async throws {
        let pki = try TestPKI()
        let certificate = try pki.issueClient("admin:late", file: "late")
        try await self.tls.withTLSBroker(pki) { broker in
            // Accepted while the certificate is still good; the handshake comes after the reload.
            let client = try await RawClient(port: broker.tlsPort!, group: broker.group)
            try pki.revoke(certificate)
            try await Task.sleep(for: .milliseconds(600))
            try await client.startTLS(try self.clientTLS(pki, file: "late"))
            try? await client.send(.connect(ConnectPacket(protocolVersion: .v3_1_1, clientID: "late", cleanSession: true, keepAlive: 60)))
            let event = try await client.next(timeout: .seconds(5))
            guard case .closed = event else {
                Issue.record("a certificate revoked before its handshake was admitted: \(String(describing: event))")
                return
            }
        }
    }

    enum Forged: String, CaseIterable {
        case severalCommonNames, certificateAuthority
        /// The first CN is a device, so that the old first-CN-wins rule would let it publish.
        var subject: String { self == .severalCommonNames ? "/CN=admin:b2/CN=v2k-bridge" : "/CN=admin:ca" }
        var topic: String { self == .severalCommonNames ? "admin:b2/attrs" : "admin:ca/attrs" }
        var extensions: String {
            self == .severalCommonNames
                ? "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth"
                : "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature"
        }
    }

    @Test(arguments: Forged.allCases)
    func forgedIdentitiesAreRefusedAtTheHandshake(_ forged: Forged) async throws {
        let pki = try TestPKI()
        try await pki.issueWithOpenSSL(subject: forged.subject, extensions: forged.extensions, file: "forged")
        // The same openssl path with one CN and CA:FALSE is a good certificate.
        try await pki.issueWithOpenSSL(subject: "/CN=admin:plain", extensions: "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth", file: "plain")
        try await self.tls.withTLSBroker(pki) { broker in
            let refused = try await self.tls.publish(pki, broker, as: "forged", topic: forged.topic, message: "{}")
            #expect(refused.status != 0, "\(forged) was accepted: \(refused.output)")
            #expect(try await self.tls.publish(pki, broker, as: "plain", topic: "admin:plain/attrs", message: "{}").status == 0)
        }
    }

    enum StaleCRL: String, CaseIterable { case lowerNumber, olderLastUpdate }

    @Test(arguments: StaleCRL.allCases)
    func olderCRLDoesNotUnrevoke(_ stale: StaleCRL) async throws {
        let pki = try TestPKI()
        try pki.revoke(try pki.issueClient("admin:revoked", file: "revoked"))
        try pki.issueClient("admin:good", file: "good")
        try await self.tls.withTLSBroker(pki) { broker in
            switch stale {
            case .lowerNumber: try pki.writeCRL(number: pki.currentCRLNumber - 1, revoked: [])
            case .olderLastUpdate:
                try pki.writeCRL(number: pki.currentCRLNumber + 1, revoked: [], lastUpdate: Date().addingTimeInterval(-3600))
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await self.tls.publish(pki, broker, as: "revoked", topic: "admin:revoked/attrs", message: "{}").status != 0)
            #expect(try await self.tls.publish(pki, broker, as: "good", topic: "admin:good/attrs", message: "{}").status == 0)
            // A newer CRL is still taken.
            try pki.writeCRL(number: pki.currentCRLNumber + 5, revoked: [])
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await self.tls.publish(pki, broker, as: "revoked", topic: "admin:revoked/attrs", message: "{}").status == 0)
        }
    }

    private func clientTLS(_ pki: TestPKI, file: String) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(pki.path("ca.crt"))
        configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(pki.path("\(file).crt")).map { .certificate($0) }
        configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: pki.path("\(file).key"), format: .pem))
        return configuration
    }
}
