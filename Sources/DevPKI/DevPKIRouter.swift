import Foundation
import Logging
import Metrics
import NIOHTTP1
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

    /// x509-identity-mgmt's routes and the ops routes (`/health`, `/ready`, `/metrics`), as
    /// dev-pki serves them.
    public func routes() -> HTTPRoutes {
        var routes = HTTPRoutes()
        // The CA is loaded before the listener opens: serving means ready.
        OpsRoutes.add(to: &routes, readiness: { [] }, metrics: MetricsBootstrap.registry)
        for path in [PKIPaths.throwAwayCA, PKIPaths.ca] {
            routes.on(
                .GET, path,
                answering { _ in
                    .json(.ok, CACertificateBody(certificateFingerprint: authority.caFingerprint, caPem: authority.caPEM))
                })
        }
        for path in [PKIPaths.throwAwayCRL, PKIPaths.crl] {
            routes.on(
                .GET, path,
                answering { request in
                    let force = request.query?.split(separator: "&").contains("update=true") ?? false
                    return .json(.ok, CRLBody(crl: try await authority.revocationListPEM(forceUpdate: force)))
                })
        }
        routes.on(
            .POST, PKIPaths.throwAway,
            answering { request in
                if let refusal = unauthorized(request) { return refusal }
                let issued = try await authority.issueServiceCertificate(csrPEM: try Self.decodeCSR(request.body))
                DevPKIMetrics.issued(.service).increment()
                return .json(.created, IssuedCertificateBody(certificateFingerprint: issued.fingerprint, certificatePem: issued.pem))
            })
        routes.on(
            .POST, PKIPaths.certificates,
            answering { request in
                let csr = try Self.decodeCSR(request.body)
                let tenant = request.headers.first(name: "X-Tenant") ?? defaultTenant
                let issued = try await authority.issueDeviceCertificate(csrPEM: csr, tenant: tenant)
                DevPKIMetrics.issued(.device).increment()
                return .json(.created, IssuedCertificateBody(certificateFingerprint: issued.fingerprint, certificatePem: issued.pem))
            })
        // /api/v1/certificates/<fingerprint>
        let notFound = routes.notFound
        routes.on(
            .GET, pathPrefix: PKIPaths.certificates + "/",
            answering { request in
                guard let fingerprint = Self.fingerprint(in: request) else { return notFound(request) }
                guard let record = await authority.activeRecord(fingerprint: fingerprint) else {
                    return .error(.notFound, "no certificate with fingerprint \(fingerprint)")
                }
                return .json(.ok, CertificateRecordBody(record))
            })
        routes.on(
            .DELETE, pathPrefix: PKIPaths.certificates + "/",
            answering { request in
                guard let fingerprint = Self.fingerprint(in: request) else { return notFound(request) }
                if let refusal = unauthorized(request) { return refusal }
                guard try await authority.revoke(fingerprint: fingerprint) else {
                    return .error(.notFound, "no certificate with fingerprint \(fingerprint)")
                }
                DevPKIMetrics.revocations.increment()
                return HTTPServerResponse(status: .noContent)
            })
        return routes
    }

    /// `route` as a handler: CA failures become 400, 403 or 500, counted and logged.
    private func answering(_ route: @escaping @Sendable (HTTPServerRequest) async throws -> HTTPServerResponse) -> HTTPRoutes.Handler {
        { [self] request in
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
    }

    /// The fingerprint of `/api/v1/certificates/<fingerprint>`; nil for any other path.
    private static func fingerprint(in request: HTTPServerRequest) -> String? {
        let segments = request.pathSegments
        guard segments.count == 4, "/" + segments[0..<3].joined(separator: "/") == PKIPaths.certificates else { return nil }
        return segments[3]
    }

    /// A 401 unless the request presents the token: service certificates carry service rights,
    /// and fingerprints are public, so neither signing them nor revoking may be open to all.
    private func unauthorized(_ request: HTTPServerRequest) -> HTTPServerResponse? {
        let presented = request.headers.first(name: "Authorization").flatMap { header -> String? in
            header.hasPrefix("Bearer ") ? String(header.dropFirst("Bearer ".count)) : nil
        }
        guard !AccessToken.matches(presented, token) else { return nil }
        DevPKIMetrics.unauthorized.increment()
        logger.warning("request without the token refused", metadata: ["method": "\(request.method)", "path": "\(request.path)"])
        var response = HTTPServerResponse.error(.unauthorized, "this endpoint needs Authorization: Bearer <DEV_PKI_TOKEN>")
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
