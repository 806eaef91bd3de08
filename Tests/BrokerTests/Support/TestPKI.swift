import Foundation
import TestSupport
import X509

/// A throw-away PKI for TLS tests: a CA, the broker's server certificate (for 127.0.0.1), and
/// client certificates on demand, all written to a temporary directory that is removed at the end.
final class TestPKI {
    let directory: URL
    let authority: CertificateAuthority
    private var revoked: [RevokedCertificate] = []
    private var crlNumber: UInt64 = 1

    init() throws {
        self.directory = try TemporaryDirectory.make(prefix: "broker-tls")
        self.authority = try Self.makeAuthority(name: "Test CA")
        try self.write(try self.authority.certificate.pem(), to: "ca.crt")
        try self.issueServerCertificate(name: "server")
        try self.writeCRL()
    }

    deinit { try? FileManager.default.removeItem(at: self.directory) }

    static func makeAuthority(name: String) throws -> CertificateAuthority {
        try CertificateAuthority.selfSigned(key: PrivateKey(generating: .ec256), commonName: name, validity: .days(30))
    }

    func path(_ name: String) -> String { self.directory.appendingPathComponent(name).path }

    var files: (ca: String, certificate: String, key: String, crl: String) {
        (self.path("ca.crt"), self.path("server.crt"), self.path("server.key"), self.path("ca.crl"))
    }

    /// (Re)issues the broker's certificate; returns its serial.
    @discardableResult
    func issueServerCertificate(name: String) throws -> String {
        let key = try PrivateKey(generating: .ec256)
        let request = try CertificateSigningRequest(key: key, commonName: name, subjectAlternativeNames: [.ip("127.0.0.1"), .dns("localhost")])
        let certificate = try self.authority.sign(request, validity: .days(10))
        try self.write(try key.pem(), to: "server.key")
        try self.write(try certificate.pem(), to: "server.crt")
        return certificate.serialHex
    }

    /// A client certificate with CN `commonName`, written as `<file>.crt` / `<file>.key`.
    @discardableResult
    func issueClient(_ commonName: String, file: String, by authority: CertificateAuthority? = nil, validity: Validity = .days(10)) throws -> Certificate {
        let key = try PrivateKey(generating: .ec256)
        let request = try CertificateSigningRequest(key: key, commonName: commonName)
        let certificate = try (authority ?? self.authority).sign(request, validity: validity)
        try self.write(try key.pem(), to: "\(file).key")
        try self.write(try certificate.pem(), to: "\(file).crt")
        return certificate
    }

    /// Adds the certificate to the CRL and rewrites it.
    func revoke(_ certificate: Certificate) throws {
        self.revoked.append(RevokedCertificate(serialHex: certificate.serialHex, revocationDate: Date()))
        try self.writeCRL()
    }

    func writeCRL() throws {
        self.crlNumber += 1
        try self.writeCRL(number: self.crlNumber, revoked: self.revoked)
    }

    /// A CRL as the test shapes it, e.g. an older one replayed after a newer one.
    func writeCRL(number: UInt64, revoked: [RevokedCertificate], lastUpdate: Date = Date().addingTimeInterval(-60)) throws {
        let crl = try self.authority.makeRevocationList(
            revoked: revoked, lastUpdate: lastUpdate, nextUpdate: Date().addingTimeInterval(86_400), number: number
        )
        try self.write(try crl.pem(), to: "ca.crl")
    }

    var currentCRLNumber: UInt64 { self.crlNumber }

    /// A client certificate our X509 module would never make (several CNs, CA:TRUE), issued by
    /// the test CA with the openssl command line, as an attacker with a careless CA would get it.
    func issueWithOpenSSL(subject: String, extensions: String, file: String) async throws {
        try self.write(try self.authority.key.pem(), to: "ca.key")
        try self.write(extensions + "\n", to: "\(file).ext")
        let result = try await ProcessRunner.shell(
            """
            cd \(self.directory.path) && openssl ecparam -name prime256v1 -genkey -noout -out \(file).key \
            && openssl req -new -key \(file).key -subj '\(subject)' -out \(file).csr \
            && openssl x509 -req -in \(file).csr -CA ca.crt -CAkey ca.key -set_serial 0x\(UInt32.random(in: 1...UInt32.max)) \
               -days 2 -extfile \(file).ext -out \(file).crt 2>&1
            """)
        guard result.status == 0 else { throw TestFailure("openssl could not issue \(subject): \(result.standardOutput)") }
    }

    func write(_ text: String, to name: String) throws {
        // Atomic, like the sidecar: the broker never reads a half-written file.
        try text.write(toFile: self.path(name), atomically: true, encoding: .utf8)
    }

    /// mosquitto_pub / mosquitto_sub arguments for a client whose files are `<file>.crt|key`.
    func clientArguments(port: Int, file: String?) -> [String] {
        var arguments = ["-h", "127.0.0.1", "-p", "\(port)", "--cafile", self.path("ca.crt")]
        if let file { arguments += ["--cert", self.path("\(file).crt"), "--key", self.path("\(file).key")] }
        return arguments
    }
}
