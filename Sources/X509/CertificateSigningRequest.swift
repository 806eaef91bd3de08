import CLibCrypto

/// A PKCS#10 request (X509_REQ).
///
/// `@unchecked Sendable`: immutable after construction (see `Certificate`).
public final class CertificateSigningRequest: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        X509_REQ_free(pointer)
    }

    /// A SHA-256-signed request with subject `/CN=<commonName>` and, when given, subjectAltName.
    public convenience init(
        key: PrivateKey,
        commonName: String,
        subjectAlternativeNames: [SubjectAlternativeName] = []
    ) throws {
        guard let request = X509_REQ_new() else { throw X509Error.openSSL("allocate CSR") }
        self.init(taking: request)
        guard X509_REQ_set_version(request, 0) == 1,  // version 1 is encoded as 0
            let subject = X509_REQ_get_subject_name(request),
            X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1
        else { throw X509Error.openSSL("set CSR subject CN=\(commonName)") }
        guard X509_REQ_set_pubkey(request, key.pointer) == 1 else { throw X509Error.openSSL("set CSR key") }
        if !subjectAlternativeNames.isEmpty {
            try addSubjectAlternativeNames(subjectAlternativeNames)
        }
        guard X509_REQ_sign(request, key.pointer, EVP_sha256()) > 0 else { throw X509Error.openSSL("sign CSR") }
    }

    public convenience init(pem: String) throws {
        let request = try MemoryBIO.reading(Array(pem.utf8)) { PEM_read_bio_X509_REQ($0, nil, nil, nil) }
        guard let request else { throw X509Error.openSSL("parse CSR PEM") }
        self.init(taking: request)
    }

    public func pem() throws -> String {
        try MemoryBIO.writingString("encode CSR PEM") { PEM_write_bio_X509_REQ($0, pointer) }
    }

    public var commonName: String? { Certificate.commonName(of: X509_REQ_get_subject_name(pointer)) }

    /// Every commonName of the requested subject, in order.
    public var commonNames: [String] { Certificate.commonNames(of: X509_REQ_get_subject_name(pointer)) }

    public var subjectAlternativeNames: [SubjectAlternativeName] {
        guard let extensions = X509_REQ_get_extensions(pointer) else { return [] }
        defer { clibcrypto_sk_X509_EXTENSION_pop_free(extensions) }
        guard let names = X509V3_get_d2i(extensions, NID_subject_alt_name, nil, nil) else { return [] }
        let stack = OpaquePointer(names)
        defer { GENERAL_NAMES_free(stack) }
        return SubjectAlternativeName.read(stack)
    }

    /// Whether the request is signed by the key it carries (proof of possession).
    public var hasValidSignature: Bool {
        defer { ERR_clear_error() }
        guard let key = X509_REQ_get0_pubkey(pointer) else { return false }
        return X509_REQ_verify(pointer, key) == 1
    }

    /// The subjectAltName extension of the request, encoded, for copying into a certificate;
    /// the caller frees it with X509_EXTENSION_free.
    func copySubjectAlternativeNameExtension() -> OpaquePointer? {
        guard let extensions = X509_REQ_get_extensions(pointer) else { return nil }
        defer { clibcrypto_sk_X509_EXTENSION_pop_free(extensions) }
        let index = X509v3_get_ext_by_NID(extensions, NID_subject_alt_name, -1)
        guard index >= 0, let found = X509v3_get_ext(extensions, index) else { return nil }
        return X509_EXTENSION_dup(found)
    }

    private func addSubjectAlternativeNames(_ names: [SubjectAlternativeName]) throws {
        let generalNames = try SubjectAlternativeName.makeGeneralNames(names)
        defer { GENERAL_NAMES_free(generalNames) }
        guard let extensionValue = X509V3_EXT_i2d(NID_subject_alt_name, 0, UnsafeMutableRawPointer(generalNames)),
            let stack = clibcrypto_sk_X509_EXTENSION_new_null()
        else { throw X509Error.openSSL("encode CSR subjectAltName") }
        defer { clibcrypto_sk_X509_EXTENSION_pop_free(stack) }
        guard clibcrypto_sk_X509_EXTENSION_push(stack, extensionValue) > 0 else {
            X509_EXTENSION_free(extensionValue)
            throw X509Error.openSSL("encode CSR subjectAltName")
        }
        guard X509_REQ_add_extensions(pointer, stack) == 1 else { throw X509Error.openSSL("add CSR subjectAltName") }
    }
}
