import Foundation
import Logging
import PKIAPI
import X509

/// The device helper (the original `certreq.sh`): per device id, a key and a certificate from
/// `POST /api/v1/certificates`, written as `ca/ca.pem` and `cert_<id>/{cert.pem,private.key}`.
public struct DeviceEnrollment: Sendable {
    let client: PKIClient
    let outputDirectory: String
    let tenant: String?
    let keyType: KeyType
    let logger: Logger

    public init(client: PKIClient, outputDirectory: String, tenant: String?, keyType: KeyType = .rsa2048, logger: Logger) {
        self.client = client
        self.outputDirectory = outputDirectory
        self.tenant = tenant
        self.keyType = keyType
        self.logger = logger
    }

    /// Enrols every id; returns id -> certificate fingerprint.
    public func enrol(ids: [String]) async throws -> [String: String] {
        for id in ids where id.isEmpty || id.contains("/") || id.contains(":") || id.hasPrefix(".") {
            throw SidecarError.failed("invalid device id \"\(id)\"")
        }
        let root = URL(fileURLWithPath: outputDirectory)
        let ca = try await client.caCertificate(path: PKIPaths.ca)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("ca"), withIntermediateDirectories: true)
        try AtomicFile.write(ca.pem(), to: root.appendingPathComponent("ca/ca.pem").path)
        var fingerprints: [String: String] = [:]
        for id in ids {
            let key = try PrivateKey(generating: keyType)
            let request = try CertificateSigningRequest(key: key, commonName: id)
            let certificate = try await client.signDeviceCertificate(request, tenant: tenant)
            let directory = root.appendingPathComponent("cert_\(id)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try AtomicFile.write(key.pem(), to: directory.appendingPathComponent("private.key").path, mode: 0o600)
            try AtomicFile.write(certificate.pem(), to: directory.appendingPathComponent("cert.pem").path)
            fingerprints[id] = try certificate.sha256Fingerprint()
            logger.info("device certificate written", metadata: ["cn": "\(certificate.commonName ?? "")", "directory": "\(directory.path)"])
        }
        return fingerprints
    }
}
