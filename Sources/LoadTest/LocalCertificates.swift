import Foundation
import X509

/// A throw-away CA with a broker certificate and device certificates, written in the
/// `pki-sidecar device` layout, for `loadtest certs`, tests and the scale script when no PKI
/// runs. EC P-256 keys: thousands are made in seconds. The CA key is never written.
public enum LocalCertificates {
    /// Writes `ca/ca.pem`, `server/{cert.pem,private.key}` (CN localhost, SAN localhost and
    /// 127.0.0.1) and `cert_<id>/{cert.pem,private.key}` with CN `tenant:id` for each id.
    /// `writeCAKey`: also `ca/ca.key`, for a benchmark that signs a CRL with it.
    public static func make(directory: String, tenant: String, ids: [String], days: Int = 2, writeCAKey: Bool = false) throws {
        let caKey = try PrivateKey(generating: .ec256)
        let ca = try CertificateAuthority.selfSigned(key: caKey, commonName: "loadtest CA", validity: .days(days))
        try write(try ca.certificate.pem(), to: "\(directory)/ca/ca.pem")
        if writeCAKey { try write(try caKey.pem(), to: "\(directory)/ca/ca.key", mode: 0o600) }
        let serverKey = try PrivateKey(generating: .ec256)
        let serverRequest = try CertificateSigningRequest(key: serverKey, commonName: "localhost", subjectAlternativeNames: [.dns("localhost"), .ip("127.0.0.1")])
        try write(try ca.sign(serverRequest, usage: [.serverAuth], validity: .days(days)).pem(), to: "\(directory)/server/cert.pem")
        try write(try serverKey.pem(), to: "\(directory)/server/private.key", mode: 0o600)
        for id in ids {
            let key = try PrivateKey(generating: .ec256)
            let request = try CertificateSigningRequest(key: key, commonName: "\(tenant):\(id)")
            try write(try ca.sign(request, usage: [.clientAuth], validity: .days(days)).pem(), to: "\(directory)/cert_\(id)/cert.pem")
            try write(try key.pem(), to: "\(directory)/cert_\(id)/private.key", mode: 0o600)
        }
    }

    private static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try AtomicFile.write(text, to: path, mode: mode)
    }
}
