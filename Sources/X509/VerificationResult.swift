import CLibCrypto

/// The outcome of a chain verification.
public enum VerificationResult: Sendable, Equatable {
    case valid
    case invalid(VerificationFailure)

    public var isValid: Bool { self == .valid }

    public var failure: VerificationFailure? {
        if case .invalid(let failure) = self { return failure }
        return nil
    }
}

/// Why OpenSSL rejected a chain: its `X509_V_ERR_*` code and text, and the depth it failed at
/// (0 = the leaf).
public struct VerificationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: Int32
    public let reason: String
    public let depth: Int32

    public init(code: Int32, reason: String, depth: Int32) {
        self.code = code
        self.reason = reason
        self.depth = depth
    }

    /// Coarse classes of `code`, for logs and metric labels.
    public enum Kind: String, Sendable, CaseIterable {
        case revoked, expired, notYetValid, unknownIssuer, badSignature, crlUnavailable, crlExpired, wrongPurpose,
            malformed, other
    }

    public var kind: Kind {
        switch code {
        case X509_V_ERR_CERT_REVOKED: .revoked
        case X509_V_ERR_CERT_HAS_EXPIRED: .expired
        case X509_V_ERR_CERT_NOT_YET_VALID: .notYetValid
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
            X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
            .unknownIssuer
        case X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_CRL_SIGNATURE_FAILURE: .badSignature
        case X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER: .crlUnavailable
        case X509_V_ERR_CRL_HAS_EXPIRED: .crlExpired
        case X509_V_ERR_INVALID_PURPOSE: .wrongPurpose
        case Self.malformedCode: .malformed
        default: .other
        }
    }

    public var isRevoked: Bool { code == X509_V_ERR_CERT_REVOKED }

    public var description: String { "X.509 verification failed at depth \(depth): \(reason) (\(code))" }

    /// A presented certificate did not parse; OpenSSL never ran (`X509_V_ERR_UNSPECIFIED`).
    static let malformedCode = X509_V_ERR_UNSPECIFIED

    static func malformed(_ detail: String) -> VerificationFailure {
        VerificationFailure(code: malformedCode, reason: detail, depth: 0)
    }
}

/// Which TLS role the leaf must be fit for (its extendedKeyUsage, checked by OpenSSL).
public enum VerificationPurpose: Sendable {
    case sslClient
    case sslServer
    /// No purpose check: chain, validity and revocation only.
    case any

    var openSSLValue: Int32? {
        switch self {
        case .sslClient: X509_PURPOSE_SSL_CLIENT
        case .sslServer: X509_PURPOSE_SSL_SERVER
        case .any: nil
        }
    }
}
