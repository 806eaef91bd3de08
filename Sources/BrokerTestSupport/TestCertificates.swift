import Broker
import Foundation
import TestSupport
import X509

/// A CA and certificates made at test time, as PEM files in a temporary directory: `ca.crt`,
/// the broker's `broker.crt`/`broker.key` (localhost, 127.0.0.1) and one `<name>.crt`/`<name>.key`
/// client certificate per entry of `clients` (name: common name). Keys are never stored elsewhere.
public struct TestCertificates: Sendable {
    public let directory: URL

    public init(clients: [String: String]) throws {
        self.directory = try TemporaryDirectory.make(prefix: "test-certificates")
        let ca = try CertificateAuthority.selfSigned(key: PrivateKey(generating: .ec256), commonName: "test CA", validity: .days(1))
        try AtomicFile.write(ca.certificate.pem(), to: self.path("ca.crt"))
        try self.issue(ca, commonName: "localhost", names: [.dns("localhost"), .ip("127.0.0.1")], usage: .serverAuth, as: "broker")
        for (name, commonName) in clients {
            try self.issue(ca, commonName: commonName, names: [], usage: .clientAuth, as: name)
        }
    }

    public func path(_ name: String) -> String { self.directory.appendingPathComponent(name).path }

    /// The broker's mutual-TLS files (no CRL).
    public var brokerTLS: BrokerConfiguration.TLSFiles {
        BrokerConfiguration.TLSFiles(ca: self.path("ca.crt"), certificate: self.path("broker.crt"), key: self.path("broker.key"), crl: nil)
    }

    public func remove() { try? FileManager.default.removeItem(at: self.directory) }

    private func issue(_ ca: CertificateAuthority, commonName: String, names: [SubjectAlternativeName], usage: ExtendedKeyUsage, as name: String) throws {
        let key = try PrivateKey(generating: .ec256)
        let request = try CertificateSigningRequest(key: key, commonName: commonName, subjectAlternativeNames: names)
        try AtomicFile.write(try ca.sign(request, usage: usage, validity: .days(1)).pem(), to: self.path("\(name).crt"))
        try AtomicFile.write(key.pem(), to: self.path("\(name).key"), mode: 0o600)
    }
}
