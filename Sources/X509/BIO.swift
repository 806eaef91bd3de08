import CLibCrypto

/// Helpers moving bytes in and out of OpenSSL memory BIOs; the BIO never outlives the call.
enum MemoryBIO {
    /// Runs `body` with a read-only BIO over `bytes`.
    static func reading<T>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> T) throws -> T {
        try bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else {
                throw X509Error.openSSL("allocate BIO")
            }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    /// Runs `write` with an empty writable BIO and returns what it wrote.
    static func writing(_ operation: String, _ write: (OpaquePointer) -> Int32) throws -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw X509Error.openSSL("allocate BIO") }
        defer { BIO_free(bio) }
        guard write(bio) > 0 else { throw X509Error.openSSL(operation) }
        var data: UnsafeMutablePointer<CChar>?
        let length = clibcrypto_bio_get_mem_data(bio, &data)
        guard let data, length > 0 else { return [] }
        return data.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    static func writingString(_ operation: String, _ write: (OpaquePointer) -> Int32) throws -> String {
        String(decoding: try writing(operation, write), as: UTF8.self)
    }
}

/// DER encoding through an `i2d_*` function (first call sizes, second call writes).
func encodeDER(_ operation: String, _ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) throws -> [UInt8] {
    let length = i2d(nil)
    guard length > 0 else { throw X509Error.openSSL(operation) }
    var bytes = [UInt8](repeating: 0, count: Int(length))
    let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
        return i2d(&cursor)
    }
    guard written == length else { throw X509Error.openSSL(operation) }
    return bytes
}

/// Whether `bytes` look like PEM text rather than DER.
func looksLikePEM(_ bytes: [UInt8]) -> Bool {
    let marker = Array("-----BEGIN".utf8)
    guard bytes.count >= marker.count else { return false }
    for start in 0...(bytes.count - marker.count) where bytes[start] == marker[0] {
        if Array(bytes[start..<start + marker.count]) == marker { return true }
    }
    return false
}
