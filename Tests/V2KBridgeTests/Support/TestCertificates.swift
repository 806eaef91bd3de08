import Foundation
import X509

/// A CA and certificates made for one test, as PEM files in a temporary directory: the broker's
/// (for 127.0.0.1), a device's (`admin:dev1`) and the bridge's (`v2k-bridge-test`).
struct TestCertificates {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("v2k-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ca = try CertificateAuthority.selfSigned(key: PrivateKey(generating: .ec256), commonName: "v2k test CA", validity: .days(1))
        try AtomicFile.write(ca.certificate.pem(), to: path("ca.crt"))
        try issue(ca, commonName: "broker", names: [.dns("localhost"), .ip("127.0.0.1")], usage: .serverAuth, as: "broker")
        try issue(ca, commonName: "admin:dev1", names: [], usage: .clientAuth, as: "device")
        try issue(ca, commonName: "v2k-bridge-test", names: [], usage: .clientAuth, as: "v2k")
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func issue(_ ca: CertificateAuthority, commonName: String, names: [SubjectAlternativeName], usage: ExtendedKeyUsage, as name: String) throws {
        let key = try PrivateKey(generating: .ec256)
        let request = try CertificateSigningRequest(key: key, commonName: commonName, subjectAlternativeNames: names)
        try AtomicFile.write(try ca.sign(request, usage: usage, validity: .days(1)).pem(), to: path("\(name).crt"))
        try AtomicFile.write(key.pem(), to: path("\(name).key"), mode: 0o600)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
