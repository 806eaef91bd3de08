import Foundation
import HTTPClient
import Logging
import NIOSSL
import ServiceRuntime
import TestSupport
import Testing
import X509

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as files in a temp directory.
private struct TLSFiles {
    let directory: URL
    let ca: CertificateAuthority
    let server: (certificate: Certificate, key: PrivateKey)

    init() throws {
        directory = try TemporaryDirectory.make(prefix: "https")
        ca = try CertificateAuthority.selfSigned(key: PrivateKey(generating: .ec256), commonName: "HTTPS test CA", validity: .days(1))
        let serverKey = try PrivateKey(generating: .ec256)
        let request = try CertificateSigningRequest(
            key: serverKey, commonName: "localhost", subjectAlternativeNames: [.dns("localhost"), .ip("127.0.0.1")])
        server = (try ca.sign(request, usage: .serverAuth, validity: .days(1)), serverKey)
        try AtomicFile.write(ca.certificate.pem(), to: path("ca.crt"))
        let clientKey = try PrivateKey(generating: .ec256)
        let client = try ca.sign(CertificateSigningRequest(key: clientKey, commonName: "client"), usage: .clientAuth, validity: .days(1))
        try AtomicFile.write(client.pem(), to: path("client.crt"))
        try AtomicFile.write(clientKey.pem(), to: path("client.key"), mode: 0o600)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func serverContext(requireClientCertificate: Bool) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(server.certificate.pem().utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(server.key.pem().utf8), format: .pem)))
        if requireClientCertificate {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(ca.certificate.pem().utf8), format: .pem)])
        }
        return try NIOSSLContext(configuration: configuration)
    }
}

private func withHTTPSServer(_ files: TLSFiles, mutual: Bool = false, _ body: (String) async throws -> Void) async throws {
    let context = try files.serverContext(requireClientCertificate: mutual)
    try await withHTTPServer(
        prepareConnection: { try $0.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) },
        handler: { _ in .json(.ok, ["secure": "yes"]) }
    ) { port in
        try await body("https://127.0.0.1:\(port)/")
    }
}

private func client(_ tls: TLSOptions) -> HTTPClient {
    HTTPClient(configuration: HTTPClientConfiguration(connectTimeout: .seconds(10), totalTimeout: .seconds(30), tls: tls))
}

private func isTransferError(_ error: any Error) -> Bool {
    guard let error = error as? HTTPClientError, case .transfer = error.kind else { return false }
    return true
}

@Suite(.timeLimit(.minutes(1))) struct HTTPSTests {
    @Test func serverIsTrustedThroughTheCAFile() async throws {
        let files = try TLSFiles()
        defer { try? FileManager.default.removeItem(at: files.directory) }
        try await withHTTPSServer(files) { url in
            let status = try await client(TLSOptions(caFile: files.path("ca.crt"))).get(url).status
            #expect(status == 200)
        }
    }

    @Test func unknownServerCAIsRefusedUnlessVerificationIsOff() async throws {
        let files = try TLSFiles()
        defer { try? FileManager.default.removeItem(at: files.directory) }
        try await withHTTPSServer(files) { url in
            await #expect { _ = try await client(TLSOptions()).get(url) } throws: { isTransferError($0) }
            let status = try await client(TLSOptions(verifyPeer: false)).get(url).status
            #expect(status == 200)
        }
    }

    @Test func mutualTLSNeedsTheClientCertificate() async throws {
        let files = try TLSFiles()
        defer { try? FileManager.default.removeItem(at: files.directory) }
        try await withHTTPSServer(files, mutual: true) { url in
            await #expect { _ = try await client(TLSOptions(caFile: files.path("ca.crt"))).get(url) } throws: { isTransferError($0) }
            let withCertificate = TLSOptions(
                caFile: files.path("ca.crt"), clientCertificateFile: files.path("client.crt"), clientKeyFile: files.path("client.key"))
            let status = try await client(withCertificate).get(url).status
            #expect(status == 200)
        }
    }
}
