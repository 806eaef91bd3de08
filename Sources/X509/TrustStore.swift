import CLibCrypto
import Foundation

/// CA certificates and CRLs in an X509_STORE, built once and then only read: the object the
/// broker verifies client chains with.
///
/// `@unchecked Sendable`, and why that is honest: after `init` nothing adds to or changes the
/// store. OpenSSL supports verifying many X509_STORE_CTX against one shared X509_STORE at once
/// (that is how one SSL_CTX serves every connection of a threaded server): the store's object
/// list is read under its own lock (`X509_STORE_lock` in `X509_STORE_CTX_get1_issuer` and
/// `X509_STORE_CTX_get1_crls`), the verification parameters are copied into each context at
/// `X509_STORE_CTX_init`, certificates and CRLs handed out are reference counted atomically, and
/// their lazily computed caches (extensions, the CRL's sorted entries) are filled under the
/// object's lock. Each `verify` call uses its own context, freed before it returns. Certificates
/// and CRLs are re-decoded from DER here so their cached fields are those of parsed objects.
public final class TrustStore: @unchecked Sendable {
    private let store: OpaquePointer
    public let certificateAuthorities: [Certificate]
    public let revocationLists: [RevocationList]
    /// Whether every chain must have a current CRL for each issuer (`X509_V_FLAG_CRL_CHECK`).
    public let checksRevocation: Bool

    /// - Parameter checkRevocation: default: on when CRLs are given. On with no CRL for an issuer,
    ///   every chain from it fails (error 3, "unable to get certificate CRL").
    public init(
        certificateAuthorities: [Certificate],
        revocationLists: [RevocationList] = [],
        checkRevocation: Bool? = nil
    ) throws {
        guard !certificateAuthorities.isEmpty else {
            throw X509Error.invalidInput("build trust store", "no CA certificate")
        }
        guard let store = X509_STORE_new() else { throw X509Error.openSSL("allocate X509_STORE") }
        self.store = store
        self.certificateAuthorities = try certificateAuthorities.map { try Certificate(der: $0.der()) }
        self.revocationLists = try revocationLists.map { try RevocationList(der: $0.der()) }
        self.checksRevocation = checkRevocation ?? !revocationLists.isEmpty
        for certificate in self.certificateAuthorities where X509_STORE_add_cert(store, certificate.pointer) != 1 {
            throw X509Error.openSSL("add CA \(certificate.commonName ?? "?") to trust store")
        }
        for crl in self.revocationLists where X509_STORE_add_crl(store, crl.pointer) != 1 {
            throw X509Error.openSSL("add CRL of \(crl.issuerCommonName ?? "?") to trust store")
        }
        if checksRevocation {
            X509_STORE_set_flags(store, UInt(X509_V_FLAG_CRL_CHECK))
        }
    }

    /// From PEM files' contents: a CA bundle and optionally a CRL in PEM or DER.
    public convenience init(caPEM: String, crl: [UInt8]? = nil) throws {
        try self.init(
            certificateAuthorities: Certificate.chain(pem: caPEM),
            revocationLists: try crl.map { [try RevocationList(bytes: $0)] } ?? []
        )
    }

    deinit {
        X509_STORE_free(store)
    }

    /// Verifies a peer chain as presented at a TLS handshake (leaf first, then intermediates).
    public func verify(
        leafDER: [UInt8],
        chainDER: [[UInt8]] = [],
        purpose: VerificationPurpose = .sslClient
    ) -> VerificationResult {
        do {
            let leaf = try Certificate(der: leafDER)
            let chain = try chainDER.map { try Certificate(der: $0) }
            return verify(leaf, chain: chain, purpose: purpose)
        } catch {
            return .invalid(.malformed("presented certificate does not parse: \(error)"))
        }
    }

    public func verify(
        _ leaf: Certificate,
        chain: [Certificate] = [],
        purpose: VerificationPurpose = .sslClient
    ) -> VerificationResult {
        defer { ERR_clear_error() }
        guard let context = X509_STORE_CTX_new(), let untrusted = clibcrypto_sk_X509_new_null() else {
            return .invalid(.malformed("out of memory: \(X509Error.drainErrorQueue())"))
        }
        defer {
            X509_STORE_CTX_free(context)
            clibcrypto_sk_X509_pop_free(untrusted)
        }
        for certificate in chain {
            X509_up_ref(certificate.pointer)  // the stack's pop_free releases this reference
            if clibcrypto_sk_X509_push(untrusted, certificate.pointer) <= 0 {
                X509_free(certificate.pointer)
                return .invalid(.malformed("out of memory building the chain"))
            }
        }
        guard X509_STORE_CTX_init(context, store, leaf.pointer, untrusted) == 1 else {
            return .invalid(.malformed("cannot start verification: \(X509Error.drainErrorQueue())"))
        }
        if let value = purpose.openSSLValue {
            X509_STORE_CTX_set_purpose(context, value)
        }
        if X509_verify_cert(context) == 1 { return .valid }
        let code = X509_STORE_CTX_get_error(context)
        return .invalid(
            VerificationFailure(
                code: code,
                reason: String(cString: X509_verify_cert_error_string(Int(code))),
                depth: X509_STORE_CTX_get_error_depth(context)
            ))
    }

    /// Whether any CRL of the store lists `serial` (hex, any case, `:` allowed).
    public func isRevoked(serial: String) -> Bool {
        revocationLists.contains { $0.contains(serialHex: serial) }
    }

    /// Whether any CRL lists the serial given as big-endian bytes (e.g. NIOSSLCertificate's
    /// `serialNumber`).
    public func isRevoked(serialBytes: [UInt8]) -> Bool {
        isRevoked(serial: serialBytes.map(hexByte).joined())
    }

    /// The earliest nextUpdate of the CRLs: past it, verification with CRL checking fails (error 12).
    public var earliestRevocationListExpiry: Date? {
        revocationLists.compactMap(\.nextUpdate).min()
    }
}
