import CLibCrypto

/// The key types the platform issues.
public enum KeyType: String, Sendable, CaseIterable {
    case rsa2048
    case rsa4096
    case ec256
}

/// An EVP_PKEY holding a private key.
///
/// `@unchecked Sendable`: the key is never mutated after construction and libcrypto allows
/// concurrent signing and encoding with one EVP_PKEY (its reference count and caches are locked).
public final class PrivateKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// Generates a new key.
    public convenience init(generating type: KeyType) throws {
        let key: OpaquePointer? =
            switch type {
            case .rsa2048: clibcrypto_rsa_gen(2048)
            case .rsa4096: clibcrypto_rsa_gen(4096)
            case .ec256: clibcrypto_ec_gen("P-256")
            }
        guard let key else { throw X509Error.openSSL("generate \(type.rawValue) key") }
        self.init(taking: key)
    }

    /// Reads an unencrypted private key from PEM (PKCS#8, or traditional RSA/EC).
    public convenience init(pem: String) throws {
        let key = try MemoryBIO.reading(Array(pem.utf8)) { PEM_read_bio_PrivateKey($0, nil, nil, nil) }
        guard let key else { throw X509Error.openSSL("parse private key PEM") }
        self.init(taking: key)
    }

    /// Unencrypted PKCS#8 PEM; write it to files with mode 0600 (see `AtomicFile`).
    public func pem() throws -> String {
        try MemoryBIO.writingString("encode private key PEM") {
            PEM_write_bio_PrivateKey($0, pointer, nil, nil, 0, nil, nil)
        }
    }

    /// The public half as SubjectPublicKeyInfo PEM.
    public func publicKeyPEM() throws -> String {
        try MemoryBIO.writingString("encode public key PEM") { PEM_write_bio_PUBKEY($0, pointer) }
    }

    /// Whether `certificate` carries this key's public half.
    public func matches(_ certificate: Certificate) -> Bool {
        defer { ERR_clear_error() }
        return X509_check_private_key(certificate.pointer, pointer) == 1
    }
}
