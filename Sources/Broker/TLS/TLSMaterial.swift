import Foundation
import NIOSSL
import X509

/// One consistent set of TLS files, parsed and checked: the context that serves handshakes, the
/// store that verifies client chains (CA + CRL), and the revoked serials for live revocation.
/// Immutable; a reload builds a new one.
struct TLSMaterial: Sendable {
    let sslContext: NIOSSLContext
    let trustStore: TrustStore
    let revokedSerials: Set<String>
    /// The bytes each file had, to notice changes.
    let contents: TLSFileContents
    let certificateNotAfter: Date
    let crlNextUpdate: Date?
    /// The CRL in force, to refuse an older one on reload (an older CRL would un-revoke).
    let crlNumber: UInt64?
    let crlLastUpdate: Date?

    /// Reads and checks every file; an error names the file and what is wrong with it.
    static func load(_ files: BrokerConfiguration.TLSFiles, now: Date = Date()) throws(TLSMaterialError) -> TLSMaterial {
        try self.build(files, contents: TLSFileContents.read(files), now: now)
    }

    /// - Parameter previous: the material in force; a CRL older than its CRL is refused.
    static func build(
        _ files: BrokerConfiguration.TLSFiles, contents: TLSFileContents, previous: TLSMaterial? = nil, now: Date = Date()
    ) throws(TLSMaterialError) -> TLSMaterial {
        let authorities = try parse(files.ca) { try Certificate.chain(pem: String(decoding: contents.ca, as: UTF8.self)) }
        guard !authorities.isEmpty else { throw TLSMaterialError(file: files.ca, reason: "no certificate in it") }
        let chain = try parse(files.certificate) { try Certificate.chain(pem: String(decoding: contents.certificate, as: UTF8.self)) }
        guard let leaf = chain.first else { throw TLSMaterialError(file: files.certificate, reason: "no certificate in it") }
        guard leaf.notAfter > now else { throw TLSMaterialError(file: files.certificate, reason: "expired on \(leaf.notAfter)") }
        let key = try parse(files.key) { try PrivateKey(pem: String(decoding: contents.key, as: UTF8.self)) }
        guard key.matches(leaf) else { throw TLSMaterialError(file: files.key, reason: "does not match the certificate in \(files.certificate)") }

        var revocationLists: [RevocationList] = []
        if let crlFile = files.crl, let crlBytes = contents.crl {
            let crl = try parse(crlFile) { try RevocationList(bytes: crlBytes) }
            guard !crl.isExpired(at: now) else {
                throw TLSMaterialError(file: crlFile, reason: "expired (next update \(crl.nextUpdate.map { "\($0)" } ?? "-"))")
            }
            guard authorities.contains(where: { crl.isSigned(by: $0) }) else {
                throw TLSMaterialError(file: crlFile, reason: "not signed by a CA of \(files.ca)")
            }
            if let previous { try checkNotOlder(crl, than: previous, file: crlFile) }
            revocationLists = [crl]
        }
        let store = try parse(files.ca) {
            try TrustStore(certificateAuthorities: authorities, revocationLists: revocationLists, checkRevocation: files.crl != nil)
        }
        let context = try parse(files.certificate) {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try chain.map { .certificate(try NIOSSLCertificate(bytes: try $0.der(), format: .der)) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(contents.key), format: .pem))
            )
            // Client certificates are required; the chain and CRL are checked by OpenSSL in
            // ClientCertificateVerifier (NIOSSL has no CRL support). `.fullVerification` on a
            // server would check a host name clients do not have.
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try authorities.map { try NIOSSLCertificate(bytes: try $0.der(), format: .der) })
            configuration.minimumTLSVersion = .tlsv12
            return try NIOSSLContext(configuration: configuration)
        }
        return TLSMaterial(
            sslContext: context, trustStore: store,
            revokedSerials: Set(revocationLists.flatMap { $0.revokedCertificates.map(\.serialHex) }),
            contents: contents, certificateNotAfter: leaf.notAfter, crlNextUpdate: revocationLists.first?.nextUpdate,
            crlNumber: revocationLists.first?.number, crlLastUpdate: revocationLists.first?.lastUpdate
        )
    }

    /// A replayed or stale download must not un-revoke certificates: the CRL number (when both
    /// have one) and lastUpdate may only grow.
    private static func checkNotOlder(_ crl: RevocationList, than previous: TLSMaterial, file: String) throws(TLSMaterialError) {
        if let number = crl.number, let inForce = previous.crlNumber, number < inForce {
            throw TLSMaterialError(file: file, reason: "CRL number \(number) is lower than \(inForce), the CRL in force")
        }
        if let inForce = previous.crlLastUpdate, crl.lastUpdate < inForce {
            throw TLSMaterialError(file: file, reason: "lastUpdate \(crl.lastUpdate) is older than \(inForce), the CRL in force")
        }
    }

    private static func parse<T>(_ file: String, _ body: () throws -> T) throws(TLSMaterialError) -> T {
        do { return try body() } catch { throw TLSMaterialError(file: file, reason: "\(error)") }
    }
}

/// The bytes of the TLS files at one moment.
struct TLSFileContents: Sendable, Equatable {
    var ca: [UInt8]
    var certificate: [UInt8]
    var key: [UInt8]
    var crl: [UInt8]?

    static func read(_ files: BrokerConfiguration.TLSFiles) throws(TLSMaterialError) -> TLSFileContents {
        TLSFileContents(
            ca: try readFile(files.ca), certificate: try readFile(files.certificate), key: try readFile(files.key),
            crl: try files.crl.map { path throws(TLSMaterialError) in try readFile(path) }
        )
    }

    private static func readFile(_ path: String) throws(TLSMaterialError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TLSMaterialError(file: path, reason: "missing or unreadable")
        }
        guard !data.isEmpty else { throw TLSMaterialError(file: path, reason: "empty") }
        return Array(data)
    }
}

/// A TLS file that cannot be used, named.
public struct TLSMaterialError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var reason: String
    public var description: String { "\(file): \(reason)" }
}
