import Foundation
import TestSupport

/// A throw-away PKI made with the `openssl` tool: a CA, a server certificate for 127.0.0.1 and
/// localhost, and a client certificate. Nothing of it outlives the test.
struct TestCertificates {
    let directory: URL
    var caFile: String { self.path("ca.crt") }
    var serverCertificate: String { self.path("server.crt") }
    var serverKey: String { self.path("server.key") }
    var clientCertificate: String { self.path("client.crt") }
    var clientKey: String { self.path("client.key") }

    func path(_ name: String) -> String { self.directory.appendingPathComponent(name).path }

    static func make(clientCommonName: String = "tenant:device") async throws -> TestCertificates {
        let certificates = TestCertificates(directory: try TemporaryDirectory.make(prefix: "pki"))
        let openssl = "/usr/bin/openssl"
        let p = certificates.path
        try await run(
            openssl,
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "2", "-subj", "/CN=Test CA",
            ])
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: p("server.ext"), atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: p("client.ext"), atomically: true, encoding: .utf8)
        for (name, subject) in [("server", "/CN=localhost"), ("client", "/CN=\(clientCommonName)")] {
            try await run(
                openssl,
                [
                    "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", p("\(name).key"), "-out", p("\(name).csr"), "-subj", subject,
                ])
            try await run(
                openssl,
                [
                    "x509", "-req", "-in", p("\(name).csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
                    "-CAcreateserial", "-out", p("\(name).crt"), "-days", "2", "-extfile", p("\(name).ext"),
                ])
        }
        return certificates
    }

    func remove() {
        try? FileManager.default.removeItem(at: self.directory)
    }
}
