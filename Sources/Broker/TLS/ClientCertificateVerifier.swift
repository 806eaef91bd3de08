import NIOConcurrencyHelpers
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

    /// - Parameters:
    ///   - material: the TLS files in force, read when the handshake reaches verification (not at
    ///     accept: a CRL replaced between accept and handshake must count).
    ///   - admit: called with a verified certificate once it is recorded; a refusal here (e.g. a
    ///     serial revoked by a reload that raced this handshake) fails the handshake.
    ///   - onResult: the verified certificate, or the reason for refusing it (a metric label).
    static func callback(
        material: NIOLockedValueBox<TLSMaterial?>,
        admit: @escaping (Verified) -> Refusal?,
        onResult: @escaping (Result<Verified, Refusal>) -> Void
    ) -> NIOSSLCustomVerificationCallbackWithMetadata {
        { presented, promise in
            var result = self.verify(presented, store: material.withLockedValue { $0?.trustStore })
            if case .success(let verified) = result, let refusal = admit(verified) {
                result = .failure(refusal)
            }
            onResult(result)
            switch result {
            case .success: promise.succeed(.certificateVerified(VerificationMetadata(nil)))
            case .failure: promise.succeed(.failed)
            }
        }
    }

    private static func verify(_ presented: [NIOSSLCertificate], store: TrustStore?) -> Result<Verified, Refusal> {
        guard let store else { return .failure(Refusal(reason: "no_trust_store", detail: "TLS material not loaded")) }
        guard let leaf = presented.first, let leafDER = try? leaf.toDERBytes() else {
            return .failure(Refusal(reason: "no_certificate", detail: "no certificate presented"))
        }
        // Parsed once: OpenSSL 3 decodes the public key of every certificate it parses, the
        // larger part of a handshake's cost on the broker.
        let certificate: Certificate
        let chain: [Certificate]
        do {
            certificate = try Certificate(der: leafDER)
            chain = try presented.dropFirst().map { try Certificate(der: $0.toDERBytes()) }
        } catch {
            return .failure(Refusal(reason: "malformed", detail: "presented certificate does not parse: \(error)"))
        }
        if case .invalid(let failure) = store.verify(certificate, chain: chain, purpose: .sslClient) {
            return .failure(Refusal(reason: failure.kind.rawValue, detail: failure.description))
        }
        // An identity is one CN: with several, which one grants rights would be a guess.
        let names = certificate.commonNames
        guard names.count <= 1 else {
            return .failure(Refusal(reason: "several_common_names", detail: "subject has \(names.count) commonNames"))
        }
        // A CA certificate could sign further identities; it is never a client.
        guard !certificate.isCertificateAuthority else {
            return .failure(Refusal(reason: "ca_certificate", detail: "a CA certificate is not a client identity"))
        }
        return .success(Verified(commonName: names.first, serialHex: certificate.serialHex))
    }
}
