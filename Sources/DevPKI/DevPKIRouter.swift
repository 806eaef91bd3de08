import Foundation
import Logging
import MiniHTTPServer
import NIOHTTP1
import Metrics
import PKIAPI
import ServiceRuntime

/// Maps x509-identity-mgmt's routes to the CA.
public struct DevPKIRouter: Sendable {
    let authority: DevCertificateAuthority
    let defaultTenant: String
    /// Needed to sign throw-away (service) certificates and to revoke (`Authorization: Bearer`).
    let token: String
    let logger: Logger

    public init(authority: DevCertificateAuthority, defaultTenant: String, token: String, logger: Logger) {
        self.authority = authority
        self.defaultTenant = defaultTenant
        self.token = token
        self.logger = logger
    }

    public func handle(_ request: ServerRequest) async -> ServerResponse {
        do {
            return try await route(request)
        } catch let failure as DevCertificateAuthority.Failure {
            if case .badRequest(let message) = failure { return .error(.badRequest, message) }
            DevPKIMetrics.refused(failure).increment()
            if case .forbidden(let message) = failure {
                logger.warning("request refused", metadata: ["path": "\(request.path)", "reason": "\(message)"])
                return .error(.forbidden, message)
            }
            logger.error("request failed", metadata: ["path": "\(request.path)", "error": "\(failure)"])
            return .error(.internalServerError, "\(failure)")
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.path)", "error": "\(error)"])
            return .error(.internalServerError, "\(error)")
        }
    }

    private func route(_ request: ServerRequest) async throws -> ServerResponse {
        let segments = request.pathSegments
        switch (request.method, request.path) {
        case (.GET, PKIPaths.throwAwayCA), (.GET, PKIPaths.ca):
            return .json(.ok, CACertificateBody(certificateFingerprint: authority.caFingerprint, caPem: authority.caPEM))
        case (.GET, PKIPaths.throwAwayCRL), (.GET, PKIPaths.crl):
            let force = request.query?.split(separator: "&").contains("update=true") ?? false
            return .json(.ok, CRLBody(crl: try await authority.revocationListPEM(forceUpdate: force)))
        case (.POST, PKIPaths.throwAway):
            if let refusal = unauthorized(request) { return refusal }
            let csr = try Self.decodeCSR(request.body)
            let issued = try await authority.issueServiceCertificate(csrPEM: csr)
            DevPKIMetrics.issued(.service).increment()
            return .json(.created, IssuedCertificateBody(certificateFingerprint: issued.fingerprint, certificatePem: issued.pem))
        case (.POST, PKIPaths.certificates):
            let csr = try Self.decodeCSR(request.body)
            let tenant = request.headers.first(name: "X-Tenant") ?? defaultTenant
            let issued = try await authority.issueDeviceCertificate(csrPEM: csr, tenant: tenant)
            DevPKIMetrics.issued(.device).increment()
            return .json(.created, IssuedCertificateBody(certificateFingerprint: issued.fingerprint, certificatePem: issued.pem))
        case (.GET, "/health"):
            return .json(.ok, ["status": "ok"])
        case (.GET, "/ready"):
            // The CA is loaded before the listener opens: serving means ready.
            return .json(.ok, ["status": "ready"])
        case (.GET, "/metrics"):
            return ServerResponse(status: .ok, headers: [("Content-Type", "text/plain; version=0.0.4")], body: MetricsBootstrap.render())
        default:
            break
        }
        // /api/v1/certificates/<fingerprint>
        if segments.count == 4, "/" + segments[0..<3].joined(separator: "/") == PKIPaths.certificates {
            let fingerprint = segments[3]
            switch request.method {
            case .GET:
                guard let record = await authority.activeRecord(fingerprint: fingerprint) else {
                    return .error(.notFound, "no certificate with fingerprint \(fingerprint)")
                }
                return .json(.ok, CertificateRecordBody(record))
            case .DELETE:
                if let refusal = unauthorized(request) { return refusal }
                guard try await authority.revoke(fingerprint: fingerprint) else {
                    return .error(.notFound, "no certificate with fingerprint \(fingerprint)")
                }
                DevPKIMetrics.revocations.increment()
                return ServerResponse(status: .noContent)
            default:
                return .error(.methodNotAllowed, "\(request.method) not allowed on \(request.path)")
            }
        }
        let knownPaths = ["/health", "/ready", "/metrics", PKIPaths.throwAwayCA, PKIPaths.ca, PKIPaths.throwAwayCRL, PKIPaths.crl, PKIPaths.throwAway, PKIPaths.certificates]
        if knownPaths.contains(request.path) {
            return .error(.methodNotAllowed, "\(request.method) not allowed on \(request.path)")
        }
        return .error(.notFound, "no route for \(request.method) \(request.path)")
    }

    /// A 401 unless the request presents the token: service certificates carry service rights,
    /// and fingerprints are public, so neither signing them nor revoking may be open to all.
    private func unauthorized(_ request: ServerRequest) -> ServerResponse? {
        let presented = request.headers.first(name: "Authorization").flatMap { header -> String? in
            header.hasPrefix("Bearer ") ? String(header.dropFirst("Bearer ".count)) : nil
        }
        guard !AccessToken.matches(presented, token) else { return nil }
        DevPKIMetrics.unauthorized.increment()
        logger.warning("request without the token refused", metadata: ["method": "\(request.method)", "path": "\(request.path)"])
        var response = ServerResponse.error(.unauthorized, "this endpoint needs Authorization: Bearer <DEV_PKI_TOKEN>")
        response.headers.append((name: "WWW-Authenticate", value: "Bearer"))
        return response
    }

    private static func decodeCSR(_ body: [UInt8]) throws -> String {
        guard let decoded = try? JSONDecoder().decode(CSRRequestBody.self, from: Data(body)) else {
            throw DevCertificateAuthority.Failure.badRequest("the body must be JSON {\"csr\": \"<PEM>\"}")
        }
        return decoded.csr
    }
}

/// `GET /api/v1/certificates/<fingerprint>`: the record, in x509-identity-mgmt's field names.
struct CertificateRecordBody: Encodable {
    let certificateFingerprint: String
    let serialNumber: String
    let subjectDN: String
    let tenant: String?
    let certificatePem: String
    let issuedAt: Date
    let notAfter: Date

    init(_ record: IssuedRecord) {
        certificateFingerprint = record.fingerprint
        serialNumber = record.serialHex
        subjectDN = "CN=\(record.commonName)"
        tenant = record.tenant
        certificatePem = record.certificatePem
        issuedAt = record.issuedAt
        notAfter = record.notAfter
    }
}
