import Foundation
import HTTPClient
import PKIAPI
import X509

/// A failed exchange with the PKI: unreachable, unexpected status, or an unusable body.
public struct PKIClientError: Error, Sendable, CustomStringConvertible {
    public let url: String
    public let message: String
    public var description: String { "PKI \(url): \(message)" }
}

/// x509-identity-mgmt's API over libcurl (`HTTPClient`).
public struct PKIClient: Sendable {
    public let baseURL: String
    let http: HTTPClient
    /// Sent with every request, e.g. `Authorization: Bearer <jwt>` for the public routes.
    let extraHeaders: [(name: String, value: String)]

    public init(baseURL: String, http: HTTPClient = HTTPClient(), extraHeaders: [(name: String, value: String)] = []) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.http = http
        self.extraHeaders = extraHeaders
    }

    /// Whether the CA endpoint answers 200 (the original's readiness probe).
    public func isReady() async -> Bool {
        (try? await http.get(baseURL + PKIPaths.throwAwayCA, headers: extraHeaders).status) == 200
    }

    public func caCertificate(path: String = PKIPaths.throwAwayCA) async throws(PKIClientError) -> Certificate {
        let body: CACertificateBody = try await fetch(path)
        return try parse(path) { try Certificate(pem: body.caPem) }
    }

    public func revocationList(path: String = PKIPaths.throwAwayCRL) async throws(PKIClientError) -> RevocationList {
        let body: CRLBody = try await fetch(path)
        return try parse(path) { try RevocationList(bytes: Array(body.crl.utf8)) }
    }

    /// `POST /internal/api/v1/throw-away`: a service certificate with the CSR's subject.
    public func signServiceCertificate(_ request: CertificateSigningRequest) async throws(PKIClientError) -> Certificate {
        try await sign(request, path: PKIPaths.throwAway, headers: [])
    }

    /// `POST /api/v1/certificates`: a device certificate (CN `tenant:<CSR CN>`).
    public func signDeviceCertificate(_ request: CertificateSigningRequest, tenant: String?) async throws(PKIClientError) -> Certificate {
        try await sign(request, path: PKIPaths.certificates, headers: tenant.map { [("X-Tenant", $0)] } ?? [])
    }

    /// `DELETE /api/v1/certificates/<fingerprint>`; false when the PKI does not know it (404).
    public func revoke(fingerprint: String) async throws(PKIClientError) -> Bool {
        let url = baseURL + PKIPaths.certificate(fingerprint: fingerprint)
        let response = try await call(url) { () async throws(HTTPClientError) in try await http.delete(url, headers: extraHeaders) }
        switch response.status {
        case 200..<300: return true
        case 404: return false
        default: throw PKIClientError(url: url, message: "status \(response.status): \(response.bodyText.prefix(200))")
        }
    }

    private func sign(
        _ request: CertificateSigningRequest, path: String, headers: [(name: String, value: String)]
    ) async throws(PKIClientError) -> Certificate {
        let url = baseURL + path
        let csr = try parse(path) { try request.pem() }
        let json = try parse(path) { try JSONEncoder().encode(CSRRequestBody(csr: csr)) }
        let response = try await call(url) { () async throws(HTTPClientError) in
            try await http.post(url, json: Array(json), headers: extraHeaders + headers)
        }
        guard response.status == 201 || response.status == 200 else {
            throw PKIClientError(url: url, message: "status \(response.status): \(response.bodyText.prefix(200))")
        }
        let body: IssuedCertificateBody = try decode(response, url: url)
        return try parse(path) { try Certificate(pem: body.certificatePem) }
    }

    private func fetch<Body: Decodable>(_ path: String) async throws(PKIClientError) -> Body {
        let url = baseURL + path
        let response = try await call(url) { () async throws(HTTPClientError) in try await http.get(url, headers: extraHeaders) }
        guard response.status == 200 else {
            throw PKIClientError(url: url, message: "status \(response.status): \(response.bodyText.prefix(200))")
        }
        return try decode(response, url: url)
    }

    private func call(_ url: String, _ body: () async throws(HTTPClientError) -> HTTPResponse) async throws(PKIClientError) -> HTTPResponse {
        do {
            return try await body()
        } catch {
            throw PKIClientError(url: url, message: error.message)
        }
    }

    private func decode<Body: Decodable>(_ response: HTTPResponse, url: String) throws(PKIClientError) -> Body {
        do {
            return try JSONDecoder().decode(Body.self, from: Data(response.body))
        } catch {
            throw PKIClientError(url: url, message: "unexpected body: \(response.bodyText.prefix(200))")
        }
    }

    private func parse<T>(_ path: String, _ body: () throws -> T) throws(PKIClientError) -> T {
        do {
            return try body()
        } catch {
            throw PKIClientError(url: baseURL + path, message: "\(error)")
        }
    }
}
