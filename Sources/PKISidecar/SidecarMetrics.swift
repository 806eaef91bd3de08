import Metrics

/// The sidecar's Prometheus series, created once (swift-metrics; `/metrics` of the ops endpoint).
struct SidecarMetrics: Sendable {
    let enrolments = Counter(label: "pki_sidecar_enrolments_total")
    let crlRefreshes = Counter(label: "pki_sidecar_crl_refreshes_total")
    let failures = Counter(label: "pki_sidecar_failures_total")
    /// Unix time of the current certificate's notAfter: alert when it comes close.
    let certificateNotAfter = Gauge(label: "pki_sidecar_certificate_not_after_seconds")
}
