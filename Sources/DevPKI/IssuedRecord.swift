import Foundation

/// One certificate dev-pki issued, as kept in `state.json`.
struct IssuedRecord: Codable, Sendable {
    enum Kind: String, Codable, Sendable {
        /// From the throw-away endpoint (services: broker, bridges).
        case service
        /// From `POST /api/v1/certificates`, CN `tenant:device`.
        case device
    }

    var fingerprint: String
    var serialHex: String
    var commonName: String
    var kind: Kind
    var tenant: String?
    var certificatePem: String
    var issuedAt: Date
    var notAfter: Date
    var revokedAt: Date?
}

/// Everything dev-pki persists besides the CA key and certificate.
struct DevPKIState: Codable, Sendable {
    var records: [IssuedRecord] = []
    /// The last CRL number used; increases with every CRL.
    var crlNumber: UInt64 = 0
}
