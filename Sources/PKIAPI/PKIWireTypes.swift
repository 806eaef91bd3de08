/// JSON bodies of x509-identity-mgmt's API (reference section 6), shared by dev-pki (server)
/// and pki-sidecar (client) so that both sides agree on one definition.
public enum PKIPaths {
    public static let throwAwayCA = "/internal/api/v1/throw-away/ca"
    public static let throwAwayCRL = "/internal/api/v1/throw-away/ca/crl"
    public static let throwAway = "/internal/api/v1/throw-away"
    public static let ca = "/api/v1/ca"
    public static let crl = "/api/v1/ca/crl"
    public static let certificates = "/api/v1/certificates"

    public static func certificate(fingerprint: String) -> String {
        "\(certificates)/\(fingerprint)"
    }
}

/// `{"csr": "<PEM>"}`
public struct CSRRequestBody: Codable, Sendable {
    public var csr: String
    public init(csr: String) { self.csr = csr }
}

/// `{"certificateFingerprint", "certificatePem"}` (201 on issue).
public struct IssuedCertificateBody: Codable, Sendable {
    public var certificateFingerprint: String
    public var certificatePem: String
    public init(certificateFingerprint: String, certificatePem: String) {
        self.certificateFingerprint = certificateFingerprint
        self.certificatePem = certificatePem
    }
}

/// `{"certificateFingerprint", "caPem"}`
public struct CACertificateBody: Codable, Sendable {
    public var certificateFingerprint: String
    public var caPem: String
    public init(certificateFingerprint: String, caPem: String) {
        self.certificateFingerprint = certificateFingerprint
        self.caPem = caPem
    }
}

/// `{"crl": "<PEM>"}`
public struct CRLBody: Codable, Sendable {
    public var crl: String
    public init(crl: String) { self.crl = crl }
}
