import CLibCrypto
import Foundation

/// One entry of a CRL.
public struct RevokedCertificate: Sendable, Hashable, Codable {
    /// Upper-case hex without leading zeros, as `Certificate.serialHex`.
    public var serialHex: String
    public var revocationDate: Date

    public init(serialHex: String, revocationDate: Date) {
        self.serialHex = ASN1.normalizedSerial(serialHex)
        self.revocationDate = revocationDate
    }
}

/// An X509_CRL.
///
/// `@unchecked Sendable`: immutable after construction (see `Certificate`).
public final class RevocationList: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        X509_CRL_free(pointer)
    }

    /// Parses a CRL in PEM or DER, whichever `bytes` hold.
    public convenience init(bytes: [UInt8]) throws {
        if looksLikePEM(bytes) {
            try self.init(pem: String(decoding: bytes, as: UTF8.self))
        } else {
            try self.init(der: bytes)
        }
    }

    public convenience init(pem: String) throws {
        let crl = try MemoryBIO.reading(Array(pem.utf8)) { PEM_read_bio_X509_CRL($0, nil, nil, nil) }
        guard let crl else { throw X509Error.openSSL("parse CRL PEM") }
        self.init(taking: crl)
    }

    public convenience init(der: [UInt8]) throws {
        let crl = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509_CRL(nil, &cursor, buffer.count)
        }
        guard let crl else { throw X509Error.openSSL("parse CRL DER") }
        self.init(taking: crl)
    }

    public func pem() throws -> String {
        try MemoryBIO.writingString("encode CRL PEM") { PEM_write_bio_X509_CRL($0, pointer) }
    }

    public func der() throws -> [UInt8] {
        try encodeDER("encode CRL DER") { i2d_X509_CRL(pointer, $0) }
    }

    public var issuerCommonName: String? { Certificate.commonName(of: X509_CRL_get_issuer(pointer)) }

    public var lastUpdate: Date { ASN1.date(X509_CRL_get0_lastUpdate(pointer)) ?? .distantPast }

    /// nil when the CRL has no nextUpdate.
    public var nextUpdate: Date? { ASN1.date(X509_CRL_get0_nextUpdate(pointer)) }

    /// The cRLNumber extension (RFC 5280 5.2.3), which grows with every CRL of an issuer; nil
    /// when absent or larger than 64 bits.
    public var number: UInt64? {
        defer { ERR_clear_error() }
        guard let raw = X509_CRL_get_ext_d2i(pointer, NID_crl_number, nil, nil) else { return nil }
        let integer = raw.assumingMemoryBound(to: ASN1_INTEGER.self)
        defer { ASN1_INTEGER_free(integer) }
        var value: UInt64 = 0
        guard ASN1_INTEGER_get_uint64(&value, integer) == 1 else { return nil }
        return value
    }

    /// Whether nextUpdate has passed: OpenSSL then fails every verification with error 12.
    public func isExpired(at now: Date = Date()) -> Bool {
        guard let nextUpdate else { return false }
        return nextUpdate <= now
    }

    public var revokedCertificates: [RevokedCertificate] {
        guard let stack = X509_CRL_get_REVOKED(pointer) else { return [] }
        return (0..<clibcrypto_sk_X509_REVOKED_num(stack)).compactMap { index in
            guard let entry = clibcrypto_sk_X509_REVOKED_value(stack, index),
                let serial = ASN1.hex(X509_REVOKED_get0_serialNumber(entry))
            else { return nil }
            let date = ASN1.date(X509_REVOKED_get0_revocationDate(entry)) ?? .distantPast
            return RevokedCertificate(serialHex: serial, revocationDate: date)
        }
    }

    /// Whether the CRL lists `serialHex` (any case, `:` separators allowed).
    public func contains(serialHex: String) -> Bool {
        guard let serial = try? ASN1.makeInteger(hex: serialHex) else {
            ERR_clear_error()
            return false
        }
        defer { ASN1_INTEGER_free(serial) }
        var entry: OpaquePointer?
        return X509_CRL_get0_by_serial(pointer, &entry, serial) == 1
    }

    /// Whether `issuer` signed this CRL.
    public func isSigned(by issuer: Certificate) -> Bool {
        defer { ERR_clear_error() }
        guard let key = X509_get0_pubkey(issuer.pointer) else { return false }
        return X509_CRL_verify(pointer, key) == 1
    }

    static func build(
        issuer: CertificateAuthority,
        revoked: [RevokedCertificate],
        lastUpdate: Date,
        nextUpdate: Date,
        number: UInt64
    ) throws -> RevocationList {
        guard let crl = X509_CRL_new() else { throw X509Error.openSSL("allocate CRL") }
        let list = RevocationList(taking: crl)
        guard X509_CRL_set_version(crl, 1) == 1,  // v2, needed for extensions
            X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer.certificate.pointer)) == 1
        else { throw X509Error.openSSL("set CRL issuer") }
        try setTime(lastUpdate) { X509_CRL_set1_lastUpdate(crl, $0) }
        try setTime(nextUpdate) { X509_CRL_set1_nextUpdate(crl, $0) }
        for entry in revoked {
            try addRevoked(entry, to: crl)
        }
        try addExtensions(crl: crl, issuer: issuer.certificate, number: number)
        X509_CRL_sort(crl)
        guard X509_CRL_sign(crl, issuer.key.pointer, EVP_sha256()) > 0 else { throw X509Error.openSSL("sign CRL") }
        return list
    }

    private static func setTime(_ date: Date, _ set: (UnsafeMutablePointer<ASN1_TIME>) -> Int32) throws {
        let time = try ASN1.makeTime(date)
        defer { ASN1_TIME_free(time) }
        guard set(time) == 1 else { throw X509Error.openSSL("set CRL time \(date)") }
    }

    private static func addRevoked(_ entry: RevokedCertificate, to crl: OpaquePointer) throws {
        guard let revoked = X509_REVOKED_new() else { throw X509Error.openSSL("allocate CRL entry") }
        let serial: UnsafeMutablePointer<ASN1_INTEGER>
        do {
            serial = try ASN1.makeInteger(hex: entry.serialHex)
        } catch {
            X509_REVOKED_free(revoked)
            throw error
        }
        defer { ASN1_INTEGER_free(serial) }
        let date = try ASN1.makeTime(entry.revocationDate)
        defer { ASN1_TIME_free(date) }
        guard X509_REVOKED_set_serialNumber(revoked, serial) == 1,
            X509_REVOKED_set_revocationDate(revoked, date) == 1,
            X509_CRL_add0_revoked(crl, revoked) == 1
        else {
            X509_REVOKED_free(revoked)
            throw X509Error.openSSL("add CRL entry \(entry.serialHex)")
        }
    }

    private static func addExtensions(crl: OpaquePointer, issuer: Certificate, number: UInt64) throws {
        guard let crlNumber = ASN1_INTEGER_new() else { throw X509Error.openSSL("allocate CRL number") }
        defer { ASN1_INTEGER_free(crlNumber) }
        guard ASN1_INTEGER_set_uint64(crlNumber, number) == 1,
            X509_CRL_add1_ext_i2d(crl, NID_crl_number, UnsafeMutableRawPointer(crlNumber), 0, 0) == 1
        else { throw X509Error.openSSL("add CRL number") }
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer.pointer, nil, nil, crl, 0)
        guard let keyIdentifier = X509V3_EXT_conf_nid(nil, &context, NID_authority_key_identifier, "keyid:always")
        else { throw X509Error.openSSL("make CRL authorityKeyIdentifier") }
        defer { X509_EXTENSION_free(keyIdentifier) }
        guard X509_CRL_add_ext(crl, keyIdentifier, -1) == 1 else { throw X509Error.openSSL("add CRL authorityKeyIdentifier") }
    }
}
