import Foundation
import X509

/// The secret that callers of the throw-away endpoint and of revocation present
/// (`Authorization: Bearer <token>`). `DEV_PKI_TOKEN`, or else one made at first start and kept
/// in `<data directory>/token` (0600), where a sidecar sharing the volume reads it.
public enum AccessToken {
    public static let fileName = "token"

    public static func resolve(configured: String?, directory: URL) throws -> String {
        if let configured { return configured }
        let file = directory.appendingPathComponent(fileName)
        if let saved = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !saved.isEmpty {
            return saved
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try AtomicFile.write(Array((token + "\n").utf8), to: file.path, mode: 0o600)
        return token
    }

    /// Compares in time independent of where the strings differ.
    static func matches(_ presented: String?, _ token: String) -> Bool {
        guard let presented else { return false }
        let a = Array(presented.utf8)
        let b = Array(token.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
