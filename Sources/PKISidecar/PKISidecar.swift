import Foundation
import Logging
import ServiceRuntime
import X509

/// Gets a key and certificate for this host from the PKI, with the CA and CRL, and keeps them
/// fresh: CRL refresh, renewal before expiry or after revocation, retries with backoff while the
/// PKI is away (the old files stay in place meanwhile).
public struct PKISidecar: Sendable {
    public let configuration: SidecarConfiguration
    public let status = SidecarStatus()
    let client: PKIClient
    let files: CertificateDirectory
    let logger: Logger
    let backoff: Backoff
    let metrics = SidecarMetrics()

    /// How often the expiry of the certificate is checked between CRL refreshes.
    static let expiryCheckInterval: Duration = .seconds(60)

    public init(configuration: SidecarConfiguration, logger: Logger, client: PKIClient? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.client = client ?? PKIClient(baseURL: configuration.pkiURL, extraHeaders: configuration.token.map { [("Authorization", "Bearer \($0)")] } ?? [])
        self.files = CertificateDirectory(path: configuration.certificateDirectory, name: configuration.hostname)
        self.backoff = Backoff(initial: .seconds(1), maximum: configuration.retryMaximum)
    }

    // MARK: First enrolment

    /// Waits for the PKI (bounded) and enrols; retries transient failures until the wait timeout.
    public func bootstrap() async throws(SidecarError) {
        let deadline = ContinuousClock.now + configuration.waitTimeout
        var failures = 0
        var lastError = "the PKI did not answer"
        while true {
            if await client.isReady() {
                do {
                    try await enrol()
                    return
                } catch let error as SidecarError {
                    if case .chainInvalid = error { throw error }
                    lastError = error.description
                } catch {
                    lastError = "\(error)"
                }
                logger.warning("enrolment failed", metadata: ["error": "\(lastError)"])
            } else {
                logger.info("waiting for the PKI", metadata: ["url": "\(configuration.pkiURL)"])
            }
            failures += 1
            let delay = min(backoff.delay(afterFailures: failures), .seconds(30))
            guard ContinuousClock.now + delay < deadline else {
                throw .pkiUnavailable("\(configuration.pkiURL) after \(configuration.waitTimeout): \(lastError)")
            }
            do {
                try await Task.sleep(for: delay)
            } catch {
                throw .failed("cancelled while waiting for the PKI")
            }
        }
    }

    /// New key, CSR, certificate, CA and CRL; checks them, then writes all four files.
    func enrol() async throws {
        let key = try PrivateKey(generating: configuration.keyType)
        let request = try CertificateSigningRequest(
            key: key, commonName: configuration.hostname, subjectAlternativeNames: configuration.subjectAlternativeNames)
        let certificate = try await client.signServiceCertificate(request)
        let ca = try await client.caCertificate()
        let crl = try await client.revocationList()
        guard key.matches(certificate) else { throw SidecarError.chainInvalid("the PKI returned a certificate for another key") }
        if case .invalid(let failure) = try TrustStore(certificateAuthorities: [ca]).verify(certificate, purpose: .any) {
            throw SidecarError.chainInvalid("\(failure)")
        }
        guard crl.isSigned(by: ca) else { throw SidecarError.failed("the CRL is not signed by the CA") }
        do {
            try files.createIfNeeded()
            try files.writeIfChanged(ca.pem(), to: files.caFile)
            try files.writeIfChanged(crl.pem(), to: files.crlFile)
            try files.write(key: key, certificate: certificate)
        } catch {
            throw SidecarError.failed("cannot write into \(files.path): \(error)")
        }
        status.update {
            $0.certificateNotAfter = certificate.notAfter
            $0.enrolments += 1
        }
        metrics.enrolments.increment()
        metrics.certificateNotAfter.record(certificate.notAfter.timeIntervalSince1970)
        logger.notice(
            "certificate in place",
            metadata: [
                "cn": "\(certificate.commonName ?? "")", "serial": "\(certificate.serialHex)", "notAfter": "\(certificate.notAfter)",
                "directory": "\(files.path)",
            ])
    }

    // MARK: Maintenance

    /// Runs until cancelled: CRL (and CA) refresh every `crlRefreshInterval`, renewal when due.
    public func maintain() async {
        if let certificate = files.readCertificate() {
            status.update { $0.certificateNotAfter = certificate.notAfter }
            metrics.certificateNotAfter.record(certificate.notAfter.timeIntervalSince1970)
        }
        var nextRefresh = ContinuousClock.now + configuration.crlRefreshInterval
        var failures = 0
        while !Task.isCancelled {
            let wait: Duration =
                failures > 0
                ? backoff.delay(afterFailures: failures)
                : min(nextRefresh - ContinuousClock.now, Self.expiryCheckInterval)
            do {
                try await Task.sleep(for: max(wait, .zero))
            } catch {
                return
            }
            do {
                if ContinuousClock.now >= nextRefresh || failures > 0 {
                    try await refreshRevocationList()
                    nextRefresh = ContinuousClock.now + configuration.crlRefreshInterval
                }
                try await renewIfNeeded()
                if failures > 0 {
                    failures = 0
                    status.update { $0.consecutiveFailures = 0 }
                    logger.notice("PKI reachable again")
                }
            } catch {
                failures += 1
                metrics.failures.increment()
                status.update { $0.consecutiveFailures = failures }
                logger.warning(
                    "PKI maintenance failed; keeping the current files",
                    metadata: ["error": "\(error)", "retryIn": "\(backoff.delay(afterFailures: failures))"])
            }
        }
    }

    /// Fetches CA and CRL; writes them when they changed.
    func refreshRevocationList() async throws {
        let ca = try await client.caCertificate()
        let crl = try await client.revocationList()
        guard crl.isSigned(by: ca) else { throw SidecarError.failed("the new CRL is not signed by the CA; keeping the old one") }
        if try files.writeIfChanged(ca.pem(), to: files.caFile) {
            logger.notice("CA certificate changed", metadata: ["subject": "\(ca.commonName ?? "")"])
        }
        if try files.writeIfChanged(crl.pem(), to: files.crlFile) {
            logger.info("CRL updated", metadata: ["revoked": "\(crl.revokedCertificates.count)", "nextUpdate": "\(crl.nextUpdate.map { "\($0)" } ?? "-")"])
        }
        metrics.crlRefreshes.increment()
    }

    /// Renews when the certificate is missing, expires within `renewBefore`, is revoked in the
    /// CRL on disk, or no longer verifies against the CA on disk (the CA changed).
    func renewIfNeeded() async throws {
        guard let reason = renewalReason() else { return }
        logger.notice("renewing certificate", metadata: ["reason": "\(reason)"])
        try await enrol()
    }

    func renewalReason(now: Date = Date()) -> String? {
        guard let certificate = files.readCertificate() else { return "no readable certificate in \(files.certificateFile)" }
        let seconds = TimeInterval(configuration.renewBefore.components.seconds)
        if certificate.expires(within: seconds, from: now) { return "expires at \(certificate.notAfter)" }
        if let bytes = FileManager.default.contents(atPath: files.crlFile),
            let crl = try? RevocationList(bytes: Array(bytes)), crl.contains(serialHex: certificate.serialHex)
        {
            return "revoked (serial \(certificate.serialHex))"
        }
        if let ca = files.readCA(), let store = try? TrustStore(certificateAuthorities: [ca]),
            case .invalid(let failure) = store.verify(certificate, purpose: .any)
        {
            return "does not verify against the current CA: \(failure.reason)"
        }
        return nil
    }

    /// For the ops endpoint's `/ready`: not ready until a valid certificate is in place.
    public var readinessCheck: ReadinessCheck {
        { [status] in status.isReady() ? [] : ["certificate"] }
    }

    /// Whether the files on disk can serve while the PKI is away.
    public var hasUsableFiles: Bool { files.hasUsableFiles() }
}
