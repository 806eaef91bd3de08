import NIOCore
import NIOSSL
import X509

/// Verifies a client's certificate chain at the handshake with OpenSSL (CA and CRL), inside
/// NIOSSL's custom verification callback, and reports the verified identity and serial.
enum ClientCertificateVerifier {
    struct Verified {
        var commonName: String?
        var serialHex: String
    }

    struct Refusal: Error {
        var reason: String
        var detail: String
    }

    /// - Parameter onResult: the verified certificate, or the reason for refusing it (a metric label).
    static func callback(
        store: TrustStore, onResult: @escaping (Result<Verified, Refusal>) -> Void
    ) -> NIOSSLCustomVerificationCallbackWithMetadata {
        { presented, promise in
            guard let leaf = presented.first, let leafDER = try? leaf.toDERBytes() else {
                onResult(.failure(Refusal(reason: "no_certificate", detail: "no certificate presented")))
                promise.succeed(.failed)
                return
            }
            let chain = presented.dropFirst().compactMap { try? $0.toDERBytes() }
            switch store.verify(leafDER: leafDER, chainDER: Array(chain), purpose: .sslClient) {
            case .valid:
                guard let certificate = try? Certificate(der: leafDER) else {
                    onResult(.failure(Refusal(reason: "malformed", detail: "certificate does not parse")))
                    promise.succeed(.failed)
                    return
                }
                onResult(.success(Verified(commonName: certificate.commonName, serialHex: certificate.serialHex)))
                promise.succeed(.certificateVerified(VerificationMetadata(nil)))
            case .invalid(let failure):
                onResult(.failure(Refusal(reason: failure.kind.rawValue, detail: failure.description)))
                promise.succeed(.failed)
            }
        }
    }
}
