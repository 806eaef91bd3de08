import Metrics

/// dev-pki's counters, on its `/metrics` (the registry of `MetricsBootstrap`).
enum DevPKIMetrics {
    enum Kind: String { case service, device }

    static func issued(_ kind: Kind) -> Counter {
        Counter(label: "dev_pki_certificates_issued_total", dimensions: [("kind", kind.rawValue)])
    }

    static let revocations = Counter(label: "dev_pki_revocations_total")
    /// Requests without the token on the throw-away endpoint or revocation.
    static let unauthorized = Counter(label: "dev_pki_unauthorized_total")

    static func refused(_ failure: DevCertificateAuthority.Failure) -> Counter {
        let reason =
            switch failure {
            case .badRequest: "bad_request"
            case .forbidden: "forbidden"
            case .storage: "storage"
            }
        return Counter(label: "dev_pki_requests_refused_total", dimensions: [("reason", reason)])
    }
}
