import Foundation
import Logging
import MQTTCore
import X509

/// dev-pki's CA: its key, the issued records and the current CRL, persisted in one directory
/// (`ca.key` 0600, `ca.crt`, `state.json`, `ca.crl`) so that a restart keeps them. An actor:
/// every change is one step that ends with the files written.
public actor DevCertificateAuthority {
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case badRequest(String)
        /// A well-formed request for something this CA does not sign.
        case forbidden(String)
        case storage(String)

        public var description: String {
            switch self {
            case .badRequest(let message), .forbidden(let message), .storage(let message): message
            }
        }
    }

    private let authority: CertificateAuthority
    private let directory: URL
    private let configuration: DevPKIConfiguration
    private let logger: Logger
    private var state: DevPKIState
    private var revocationList: RevocationList
    public nonisolated let caPEM: String
    public nonisolated let caFingerprint: String

    /// Loads the CA from `configuration.dataDirectory`, creating it on first start.
    public init(configuration: DevPKIConfiguration, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        directory = URL(fileURLWithPath: configuration.dataDirectory, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        authority = try Self.loadOrCreateAuthority(in: directory, keyType: configuration.caKeyType, logger: logger)
        caPEM = try authority.certificate.pem()
        caFingerprint = try authority.certificate.sha256Fingerprint()
        let stateFile = directory.appendingPathComponent("state.json")
        if FileManager.default.fileExists(atPath: stateFile.path) {
            state = try Self.decoder.decode(DevPKIState.self, from: Data(contentsOf: stateFile))
        } else {
            state = DevPKIState()
        }
        let crlFile = directory.appendingPathComponent("ca.crl")
        if let bytes = try? Data(contentsOf: crlFile), let crl = try? RevocationList(bytes: Array(bytes)),
            crl.isSigned(by: authority.certificate)
        {
            revocationList = crl
        } else {
            state.crlNumber += 1
            revocationList = try Self.signRevocationList(
                authority: authority, records: state.records, number: state.crlNumber, days: configuration.crlDays)
            try saveStateAndRevocationList()
        }
    }

    private static func loadOrCreateAuthority(in directory: URL, keyType: KeyType, logger: Logger) throws -> CertificateAuthority {
        let keyFile = directory.appendingPathComponent("ca.key").path
        let certificateFile = directory.appendingPathComponent("ca.crt").path
        if FileManager.default.fileExists(atPath: keyFile) {
            let key = try PrivateKey(pem: String(contentsOfFile: keyFile, encoding: .utf8))
            let certificate = try Certificate(pem: String(contentsOfFile: certificateFile, encoding: .utf8))
            logger.info("loaded CA", metadata: ["subject": "\(certificate.commonName ?? "")", "notAfter": "\(certificate.notAfter)"])
            return try CertificateAuthority(certificate: certificate, key: key)
        }
        let authority = try CertificateAuthority.selfSigned(
            key: PrivateKey(generating: keyType), commonName: "X509 Identity CA",
            organization: "dojot IoT Platform (dev-pki)", validity: .days(3650 * 2))
        try AtomicFile.write(authority.key.pem(), to: keyFile, mode: 0o600)
        try AtomicFile.write(authority.certificate.pem(), to: certificateFile)
        logger.notice("created a new CA", metadata: ["directory": "\(directory.path)"])
        return authority
    }

    // MARK: Issuing

    /// Signs a throw-away certificate for a configured server or service name (`ThrowAwayPolicy`):
    /// subject `CN=<name>` only; a server gets serverAuth and the CSR's SANs, a service neither.
    public func issueServiceCertificate(csrPEM: String) throws -> IssuedCertificate {
        let request = try parse(csrPEM)
        let names = request.commonNames
        guard names.count == 1, let name = names.first else {
            throw Failure.badRequest("the CSR's subject must have exactly one CN, it has \(names.count)")
        }
        guard let grant = configuration.throwAway.grant(for: name) else {
            throw Failure.forbidden("\(name) is not a server or service name this PKI signs (DEV_PKI_SERVER_NAMES, DEV_PKI_SERVICE_NAMES)")
        }
        let certificate = try authority.sign(
            request, subject: .commonName(name), usage: grant == .server ? [.serverAuth, .clientAuth] : [.clientAuth],
            copySubjectAlternativeNames: grant == .server, validity: .days(configuration.certificateDays))
        return try record(certificate, kind: .service, tenant: nil)
    }

    /// Signs a device certificate: CN `tenant:<CSR CN>`, O `dojot IoT Platform`.
    public func issueDeviceCertificate(csrPEM: String, tenant: String) throws -> IssuedCertificate {
        guard DojotNames.isValidTenant(tenant) else { throw Failure.badRequest("invalid tenant \"\(tenant)\"") }
        let request = try parse(csrPEM)
        guard request.commonNames.count == 1, let deviceID = request.commonName, DojotNames.isValidDeviceID(deviceID) else {
            throw Failure.badRequest("the CSR's CN must be a device id of letters, digits, ' ', '-' or '_'")
        }
        let certificate = try sign(
            request, subject: .commonName("\(tenant):\(deviceID)", organization: DevicePolicy.organization), usage: [.clientAuth])
        return try record(certificate, kind: .device, tenant: tenant)
    }

    private func parse(_ csrPEM: String) throws -> CertificateSigningRequest {
        do {
            let request = try CertificateSigningRequest(pem: csrPEM)
            guard request.hasValidSignature else { throw Failure.badRequest("the CSR's signature does not verify") }
            return request
        } catch let error as X509Error {
            throw Failure.badRequest("the CSR does not parse: \(error.openSSLErrors)")
        }
    }

    private func sign(_ request: CertificateSigningRequest, subject: IssuedSubject, usage: ExtendedKeyUsage) throws -> Certificate {
        try authority.sign(request, subject: subject, usage: usage, validity: .days(configuration.certificateDays))
    }

    private func record(_ certificate: Certificate, kind: IssuedRecord.Kind, tenant: String?) throws -> IssuedCertificate {
        let issued = IssuedCertificate(fingerprint: try certificate.sha256Fingerprint(), pem: try certificate.pem())
        state.records.append(
            IssuedRecord(
                fingerprint: issued.fingerprint, serialHex: certificate.serialHex, commonName: certificate.commonName ?? "",
                kind: kind, tenant: tenant, certificatePem: issued.pem, issuedAt: Date(), notAfter: certificate.notAfter))
        try saveState()
        logger.info(
            "issued certificate",
            metadata: ["cn": "\(certificate.commonName ?? "")", "kind": "\(kind.rawValue)", "fingerprint": "\(issued.fingerprint)"])
        return issued
    }

    // MARK: Records and revocation

    /// The record of a certificate that is issued and not revoked.
    func activeRecord(fingerprint: String) -> IssuedRecord? {
        let wanted = Self.normalized(fingerprint)
        return state.records.first { $0.fingerprint == wanted && $0.revokedAt == nil }
    }

    /// Revokes and re-signs the CRL; false when no active certificate has that fingerprint.
    public func revoke(fingerprint: String) throws -> Bool {
        let wanted = Self.normalized(fingerprint)
        guard let index = state.records.firstIndex(where: { $0.fingerprint == wanted && $0.revokedAt == nil }) else {
            return false
        }
        state.records[index].revokedAt = Date()
        try renewRevocationListNow()
        logger.notice("revoked certificate", metadata: ["cn": "\(state.records[index].commonName)", "fingerprint": "\(wanted)"])
        return true
    }

    /// The current CRL as PEM, re-signed first when half its validity has passed or when forced.
    public func revocationListPEM(forceUpdate: Bool = false) throws -> String {
        let halfLife = TimeInterval(configuration.crlDays) * 86_400 / 2
        if forceUpdate || (revocationList.nextUpdate ?? .distantPast) < Date().addingTimeInterval(halfLife) {
            try renewRevocationListNow()
        }
        return try revocationList.pem()
    }

    private func renewRevocationListNow() throws {
        state.crlNumber += 1
        revocationList = try Self.signRevocationList(
            authority: authority, records: state.records, number: state.crlNumber, days: configuration.crlDays)
        try saveStateAndRevocationList()
    }

    /// A CRL of every revoked record, valid for `days` (lastUpdate a minute back for clock skew).
    private static func signRevocationList(
        authority: CertificateAuthority, records: [IssuedRecord], number: UInt64, days: Int
    ) throws -> RevocationList {
        let now = Date()
        let revoked = records.compactMap { record in
            record.revokedAt.map { RevokedCertificate(serialHex: record.serialHex, revocationDate: $0) }
        }
        return try authority.makeRevocationList(
            revoked: revoked, lastUpdate: now.addingTimeInterval(-60),
            nextUpdate: now.addingTimeInterval(TimeInterval(days) * 86_400), number: number)
    }

    private func saveStateAndRevocationList() throws {
        try saveState()
        try AtomicFile.write(revocationList.pem(), to: directory.appendingPathComponent("ca.crl").path)
    }

    private func saveState() throws {
        try AtomicFile.write(Array(Self.encoder.encode(state)), to: directory.appendingPathComponent("state.json").path)
    }

    /// Fingerprints arrive in any case, with or without `:`.
    static func normalized(_ fingerprint: String) -> String {
        let hex = fingerprint.uppercased().filter(\.isHexDigit)
        return stride(from: 0, to: hex.count, by: 2).map { offset -> String in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return String(hex[start..<(hex.index(start, offsetBy: 2, limitedBy: hex.endIndex) ?? hex.endIndex)])
        }.joined(separator: ":")
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// A newly issued certificate as the API returns it.
public struct IssuedCertificate: Sendable {
    public let fingerprint: String
    public let pem: String
}
