import CLibCrypto
import Foundation

/// What an issued certificate may be used for (extendedKeyUsage).
public struct ExtendedKeyUsage: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let serverAuth = ExtendedKeyUsage(rawValue: 1 << 0)
    public static let clientAuth = ExtendedKeyUsage(rawValue: 1 << 1)

    var configValue: String {
        [(Self.serverAuth, "serverAuth"), (Self.clientAuth, "clientAuth")]
            .filter { contains($0.0) }.map(\.1).joined(separator: ",")
    }
}

/// A certificate's validity window.
public struct Validity: Sendable, Hashable {
    public var notBefore: Date
    public var notAfter: Date

    public init(notBefore: Date, notAfter: Date) {
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// `days` days from `now`, starting five minutes back to tolerate clock skew between hosts.
    public static func days(_ days: Int, from now: Date = Date()) -> Validity {
        Validity(notBefore: now.addingTimeInterval(-300), notAfter: now.addingTimeInterval(TimeInterval(days) * 86_400))
    }
}

/// The subject of an issued certificate.
public enum IssuedSubject: Sendable, Hashable {
    /// The CSR's subject, verbatim (x509-identity-mgmt's throw-away certificates).
    case fromRequest
    /// A new subject `/O=<organization>/CN=<commonName>` (device certificates: `tenant:device`).
    case commonName(String, organization: String? = nil)
}

/// A CA certificate with its key: signs certificates and CRLs.
public struct CertificateAuthority: Sendable {
    public let certificate: Certificate
    public let key: PrivateKey

    /// Pairs a CA certificate with its key; fails when they do not belong together.
    public init(certificate: Certificate, key: PrivateKey) throws {
        guard key.matches(certificate) else {
            throw X509Error.invalidInput("load CA", "the key does not match the CA certificate")
        }
        self.certificate = certificate
        self.key = key
    }

    /// A self-signed root CA (basicConstraints CA:TRUE, keyCertSign and cRLSign).
    public static func selfSigned(
        key: PrivateKey,
        commonName: String,
        organization: String? = nil,
        validity: Validity
    ) throws -> CertificateAuthority {
        let builder = try CertificateBuilder(validity: validity)
        try builder.setSubject(commonName: commonName, organization: organization)
        try builder.setIssuer(builder.certificate)
        try builder.setPublicKey(key.pointer)
        try builder.addExtensions(
            [
                (NID_basic_constraints, "critical,CA:TRUE"),
                (NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"),
                (NID_subject_key_identifier, "hash"),
                (NID_authority_key_identifier, "keyid:always"),
            ],
            issuer: builder.certificate
        )
        try builder.sign(with: key)
        return try CertificateAuthority(certificate: builder.certificate, key: key)
    }

    /// Issues an end-entity certificate for `request`, copying only its subjectAltName (a CSR must
    /// not choose its own basicConstraints or key usage). Fails when the CSR's signature is bad.
    public func sign(
        _ request: CertificateSigningRequest,
        subject: IssuedSubject = .fromRequest,
        usage: ExtendedKeyUsage = [.serverAuth, .clientAuth],
        copySubjectAlternativeNames: Bool = true,
        validity: Validity
    ) throws -> Certificate {
        guard request.hasValidSignature else {
            throw X509Error.invalidInput("sign CSR", "the CSR signature does not verify")
        }
        guard let publicKey = X509_REQ_get0_pubkey(request.pointer) else { throw X509Error.openSSL("read CSR key") }
        let builder = try CertificateBuilder(validity: validity)
        switch subject {
        case .fromRequest:
            guard X509_set_subject_name(builder.certificate.pointer, X509_REQ_get_subject_name(request.pointer)) == 1
            else { throw X509Error.openSSL("copy CSR subject") }
        case .commonName(let commonName, let organization):
            try builder.setSubject(commonName: commonName, organization: organization)
        }
        try builder.setIssuer(certificate)
        try builder.setPublicKey(publicKey)
        // keyEncipherment is meaningful (RSA key transport) only for RSA keys.
        let keyUsage = EVP_PKEY_get_base_id(publicKey) == EVP_PKEY_RSA ? "digitalSignature,keyEncipherment" : "digitalSignature"
        var extensions: [(Int32, String)] = [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, "critical,\(keyUsage)"),
            (NID_subject_key_identifier, "hash"),
            (NID_authority_key_identifier, "keyid:always"),
        ]
        if !usage.isEmpty { extensions.append((NID_ext_key_usage, usage.configValue)) }
        try builder.addExtensions(extensions, issuer: certificate)
        if copySubjectAlternativeNames, let names = request.copySubjectAlternativeNameExtension() {
            defer { X509_EXTENSION_free(names) }
            guard X509_add_ext(builder.certificate.pointer, names, -1) == 1 else {
                throw X509Error.openSSL("copy CSR subjectAltName")
            }
        }
        try builder.sign(with: key)
        return builder.certificate
    }

    /// A signed v2 CRL listing `revoked`, with a CRL number and authorityKeyIdentifier. By default
    /// lastUpdate is a minute back, like dev-pki's: OpenSSL reads the coarse clock (`time()`, up to
    /// a tick behind), and a CRL stamped this very second was now and then "not yet valid".
    public func makeRevocationList(
        revoked: [RevokedCertificate],
        lastUpdate: Date = Date().addingTimeInterval(-60),
        nextUpdate: Date,
        number: UInt64
    ) throws -> RevocationList {
        try RevocationList.build(
            issuer: self, revoked: revoked, lastUpdate: lastUpdate, nextUpdate: nextUpdate, number: number)
    }
}

/// Assembles one X509 step by step; every step throws with OpenSSL's reason.
private struct CertificateBuilder {
    let certificate: Certificate

    init(validity: Validity) throws {
        guard let x509 = X509_new() else { throw X509Error.openSSL("allocate certificate") }
        certificate = Certificate(taking: x509)
        guard X509_set_version(x509, 2) == 1 else { throw X509Error.openSSL("set certificate version") }  // v3
        try Self.setRandomSerial(x509)
        guard ASN1_TIME_set(X509_getm_notBefore(x509), time_t(validity.notBefore.timeIntervalSince1970)) != nil,
            ASN1_TIME_set(X509_getm_notAfter(x509), time_t(validity.notAfter.timeIntervalSince1970)) != nil
        else { throw X509Error.openSSL("set certificate validity") }
    }

    /// 159 random bits: positive, at most 20 octets (RFC 5280), unpredictable.
    private static func setRandomSerial(_ x509: OpaquePointer) throws {
        guard let number = BN_new() else { throw X509Error.openSSL("allocate serial") }
        defer { BN_free(number) }
        guard BN_rand(number, 159, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1,
            BN_to_ASN1_INTEGER(number, X509_get_serialNumber(x509)) != nil
        else { throw X509Error.openSSL("set random serial") }
    }

    func setSubject(commonName: String, organization: String?) throws {
        guard let name = X509_NAME_new() else { throw X509Error.openSSL("allocate subject") }
        defer { X509_NAME_free(name) }
        if let organization,
            X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, organization, -1, -1, 0) != 1
        {
            throw X509Error.openSSL("set subject O=\(organization)")
        }
        guard X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1,
            X509_set_subject_name(certificate.pointer, name) == 1
        else { throw X509Error.openSSL("set subject CN=\(commonName)") }
    }

    func setIssuer(_ issuer: Certificate) throws {
        guard X509_set_issuer_name(certificate.pointer, X509_get_subject_name(issuer.pointer)) == 1 else {
            throw X509Error.openSSL("set issuer")
        }
    }

    func setPublicKey(_ key: OpaquePointer) throws {
        guard X509_set_pubkey(certificate.pointer, key) == 1 else { throw X509Error.openSSL("set public key") }
    }

    /// Adds extensions written in openssl.cnf syntax, in order (SKI before AKI for self-signed).
    func addExtensions(_ extensions: [(Int32, String)], issuer: Certificate) throws {
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer.pointer, certificate.pointer, nil, nil, 0)
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw X509Error.openSSL("make extension \(String(cString: OBJ_nid2sn(nid)))=\(value)")
            }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(certificate.pointer, ext, -1) == 1 else {
                throw X509Error.openSSL("add extension \(String(cString: OBJ_nid2sn(nid)))")
            }
        }
    }

    func sign(with key: PrivateKey) throws {
        guard X509_sign(certificate.pointer, key.pointer, EVP_sha256()) > 0 else {
            throw X509Error.openSSL("sign certificate")
        }
    }
}
