import Foundation
import Logging
import NIOSSL
import PKISidecar

/// Device certificates in the `pki-sidecar device` layout: `ca/ca.pem` and
/// `cert_<id>/{cert.pem,private.key}` under one directory. Missing ones are obtained from the
/// PKI (when its URL is given) and cached there, so the next run starts at once.
public struct DeviceCertificates: Sendable, Equatable {
    public var directory: String
    /// The CA that signed the broker's certificate; default `<directory>/ca/ca.pem`.
    public var caFile: String?
    public var pkiURL: String?

    public init(directory: String, caFile: String? = nil, pkiURL: String? = nil) {
        self.directory = directory
        self.caFile = caFile
        self.pkiURL = pkiURL
    }

    public var caPath: String { caFile ?? "\(directory)/ca/ca.pem" }
    public func certificatePath(_ id: String) -> String { "\(directory)/cert_\(id)/cert.pem" }
    public func keyPath(_ id: String) -> String { "\(directory)/cert_\(id)/private.key" }

    /// Makes sure every device has its files (and the CA is there), enrolling the missing ones.
    public func prepare(ids: [String], tenant: String, logger: Logger) async throws {
        let files = FileManager.default
        let missing = ids.filter { !files.fileExists(atPath: certificatePath($0)) || !files.fileExists(atPath: keyPath($0)) }
        if !missing.isEmpty || !files.fileExists(atPath: caPath) {
            guard let pkiURL else {
                let first = missing.first.map(certificatePath) ?? caPath
                throw LoadTestError("\(missing.count) device certificate(s) missing (first: \(first)); set LOADTEST_PKI_URL or run `loadtest certs`")
            }
            logger.info("obtaining device certificates from the PKI", metadata: ["count": "\(missing.count)", "pki": "\(pkiURL)"])
            // EC keys: thousands of devices enrol in seconds, where RSA key generation would take minutes.
            let enrollment = DeviceEnrollment(client: PKIClient(baseURL: pkiURL), outputDirectory: directory, tenant: tenant, keyType: .ec256, logger: logger)
            _ = try await enrollment.enrol(ids: missing)
        }
    }

    /// One TLS context per device (its own certificate), sharing the parsed trust roots.
    public func contextFactory(verifyHostname: Bool) throws -> DeviceTLSContexts {
        try DeviceTLSContexts(certificates: self, verifyHostname: verifyHostname)
    }
}

/// Makes each device's `NIOSSLContext` when it is about to connect, so that tens of thousands of
/// devices do not hold their keys in memory before they need them.
public struct DeviceTLSContexts: Sendable {
    private let certificates: DeviceCertificates
    private let trustRoots: [NIOSSLCertificate]
    private let verifyHostname: Bool

    init(certificates: DeviceCertificates, verifyHostname: Bool) throws {
        self.certificates = certificates
        self.trustRoots = try NIOSSLCertificate.fromPEMFile(certificates.caPath)
        self.verifyHostname = verifyHostname
    }

    public func context(for id: String) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(self.trustRoots)
        configuration.certificateVerification = self.verifyHostname ? .fullVerification : .noHostnameVerification
        configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificates.certificatePath(id)).map { .certificate($0) }
        configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: certificates.keyPath(id), format: .pem))
        return try NIOSSLContext(configuration: configuration)
    }
}

public struct LoadTestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
