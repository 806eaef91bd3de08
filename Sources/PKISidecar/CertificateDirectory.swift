import Foundation
import X509

/// The files pki-sidecar maintains: `ca.crt`, `ca.crl`, `<name>.crt`, `<name>.key`.
public struct CertificateDirectory: Sendable {
    public let path: String
    public let name: String

    public init(path: String, name: String) {
        self.path = path
        self.name = name
    }

    public var caFile: String { file("ca.crt") }
    public var crlFile: String { file("ca.crl") }
    public var certificateFile: String { file("\(name).crt") }
    public var keyFile: String { file("\(name).key") }

    private func file(_ base: String) -> String {
        URL(fileURLWithPath: path).appendingPathComponent(base).path
    }

    func createIfNeeded() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes the key before the certificate, so that a reader that reloads on a new
    /// certificate finds its key already there.
    func write(key: PrivateKey, certificate: Certificate) throws {
        try AtomicFile.write(key.pem(), to: keyFile, mode: 0o600)
        try AtomicFile.write(certificate.pem(), to: certificateFile)
    }

    /// Writes `text` unless the file already holds exactly it (a rewrite would make the broker reload
    /// for nothing). Returns whether it wrote.
    @discardableResult
    func writeIfChanged(_ text: String, to file: String) throws -> Bool {
        if let current = try? String(contentsOfFile: file, encoding: .utf8), current == text { return false }
        try AtomicFile.write(text, to: file)
        return true
    }

    func readCertificate() -> Certificate? {
        (try? String(contentsOfFile: certificateFile, encoding: .utf8)).flatMap { try? Certificate(pem: $0) }
    }

    func readCA() -> Certificate? {
        (try? String(contentsOfFile: caFile, encoding: .utf8)).flatMap { try? Certificate(pem: $0) }
    }

    /// Whether a certificate, its key and the CA are on disk, belong together and the certificate
    /// is still valid: then an outage at start-up need not stop the service.
    func hasUsableFiles(now: Date = Date()) -> Bool {
        guard let certificate = readCertificate(), readCA() != nil, certificate.notAfter > now,
            let keyText = try? String(contentsOfFile: keyFile, encoding: .utf8),
            let key = try? PrivateKey(pem: keyText)
        else { return false }
        return key.matches(certificate)
    }
}
