import CLibCrypto
import Foundation

/// An X509 certificate.
///
/// `@unchecked Sendable`: no API mutates the X509 after construction, and libcrypto's lazy
/// extension cache inside X509 is filled under the object's own lock.
public final class Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        X509_free(pointer)
    }

    /// Parses the first certificate of a PEM text.
    public convenience init(pem: String) throws {
        let x509 = try MemoryBIO.reading(Array(pem.utf8)) { PEM_read_bio_X509($0, nil, nil, nil) }
        guard let x509 else { throw X509Error.openSSL("parse certificate PEM") }
        self.init(taking: x509)
    }

    public convenience init(der: [UInt8]) throws {
        let x509 = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let x509 else { throw X509Error.openSSL("parse certificate DER") }
        self.init(taking: x509)
    }

    /// Every certificate of a PEM bundle, in order.
    public static func chain(pem: String) throws -> [Certificate] {
        try MemoryBIO.reading(Array(pem.utf8)) { bio in
            var certificates: [Certificate] = []
            while let x509 = PEM_read_bio_X509(bio, nil, nil, nil) {
                certificates.append(Certificate(taking: x509))
            }
            // The loop ends on "no start line": expected at the end of the text, not an error.
            ERR_clear_error()
            guard !certificates.isEmpty else {
                throw X509Error.invalidInput("parse certificate PEM bundle", "no certificate found")
            }
            return certificates
        }
    }

    public func pem() throws -> String {
        try MemoryBIO.writingString("encode certificate PEM") { PEM_write_bio_X509($0, pointer) }
    }

    public func der() throws -> [UInt8] {
        try encodeDER("encode certificate DER") { i2d_X509(pointer, $0) }
    }

    /// The subject's first commonName, or nil when it has none.
    public var commonName: String? { Self.commonName(of: X509_get_subject_name(pointer)) }

    /// Every commonName of the subject, in order: an identity must have exactly one.
    public var commonNames: [String] { Self.commonNames(of: X509_get_subject_name(pointer)) }

    static func commonNames(of name: OpaquePointer?) -> [String] {
        guard let name else { return [] }
        var names: [String] = []
        var index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        while index >= 0 {
            if let entry = X509_NAME_get_entry(name, index), let value = ASN1.string(X509_NAME_ENTRY_get_data(entry)) {
                names.append(value)
            }
            index = X509_NAME_get_index_by_NID(name, NID_commonName, index)
        }
        return names
    }

    /// The issuer's first commonName.
    public var issuerCommonName: String? { Self.commonName(of: X509_get_issuer_name(pointer)) }

    /// The serial number as upper-case hex without leading zeros (`openssl x509 -serial` style).
    public var serialHex: String { ASN1.hex(X509_get0_serialNumber(pointer)) ?? "" }

    public var notBefore: Date { ASN1.date(X509_get0_notBefore(pointer)) ?? .distantPast }

    public var notAfter: Date { ASN1.date(X509_get0_notAfter(pointer)) ?? .distantPast }

    /// Whether the certificate expires within `interval` from `now` (`openssl x509 -checkend`).
    public func expires(within interval: TimeInterval, from now: Date = Date()) -> Bool {
        notAfter <= now.addingTimeInterval(interval)
    }

    /// SHA-256 of the DER encoding, upper-case hex bytes joined by `:` (x509-identity-mgmt's form).
    public func sha256Fingerprint() throws -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(pointer, EVP_sha256(), &digest, &length) == 1 else {
            throw X509Error.openSSL("compute certificate fingerprint")
        }
        return digest.prefix(Int(length)).map { hexByte($0) }.joined(separator: ":")
    }

    /// The DNS and IP entries of subjectAltName, in certificate order.
    public var subjectAlternativeNames: [SubjectAlternativeName] {
        guard let names = X509_get_ext_d2i(pointer, NID_subject_alt_name, nil, nil) else { return [] }
        let stack = OpaquePointer(names)
        defer { GENERAL_NAMES_free(stack) }
        return SubjectAlternativeName.read(stack)
    }

    /// Whether basicConstraints marks this certificate as a CA.
    public var isCertificateAuthority: Bool { X509_check_ca(pointer) > 0 }

    static func commonName(of name: OpaquePointer?) -> String? {
        guard let name else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index) else { return nil }
        return ASN1.string(X509_NAME_ENTRY_get_data(entry))
    }
}

extension Certificate {
    /// The subject commonName of a DER certificate, e.g. a TLS peer's leaf; nil when it does not parse.
    public static func commonName(fromDER der: [UInt8]) -> String? {
        defer { ERR_clear_error() }
        return (try? Certificate(der: der))?.commonName
    }
}

func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}
