import CLibCrypto
import Foundation

/// Conversions between libcrypto's ASN.1 values and Swift values.
enum ASN1 {
    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    /// A new ASN1_TIME for `date`; the caller frees it with ASN1_TIME_free.
    static func makeTime(_ date: Date) throws -> UnsafeMutablePointer<ASN1_TIME> {
        guard let time = ASN1_TIME_set(nil, time_t(date.timeIntervalSince1970.rounded(.down))) else {
            throw X509Error.openSSL("encode time \(date)")
        }
        return time
    }

    /// An ASN1_STRING as UTF-8 text, whatever its ASN.1 string type.
    static func string(_ value: UnsafePointer<ASN1_STRING>?) -> String? {
        guard let value else { return nil }
        var out: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&out, value)
        guard length >= 0, let out else { return nil }
        defer { clibcrypto_free(out) }
        return String(decoding: UnsafeBufferPointer(start: out, count: Int(length)), as: UTF8.self)
    }

    /// An ASN1_INTEGER as upper-case hex without leading zeros (OpenSSL's BN_bn2hex form).
    static func hex(_ integer: UnsafePointer<ASN1_INTEGER>?) -> String? {
        guard let integer, let bn = ASN1_INTEGER_to_BN(integer, nil) else { return nil }
        defer { BN_free(bn) }
        guard let text = BN_bn2hex(bn) else { return nil }
        defer { clibcrypto_free(text) }
        return String(cString: text)
    }

    /// A new ASN1_INTEGER from hex (case-insensitive, `:` separators allowed); caller frees it.
    static func makeInteger(hex: String) throws -> UnsafeMutablePointer<ASN1_INTEGER> {
        let digits = hex.replacingOccurrences(of: ":", with: "")
        guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit) else {
            throw X509Error.invalidInput("parse serial", "not a hex serial number: \(hex)")
        }
        var bn: OpaquePointer?
        guard BN_hex2bn(&bn, digits) > 0, let bn else { throw X509Error.openSSL("parse serial \(hex)") }
        defer { BN_free(bn) }
        guard let integer = BN_to_ASN1_INTEGER(bn, nil) else { throw X509Error.openSSL("encode serial \(hex)") }
        return integer
    }

    /// Normalised serial text, so that `0a:FF` and `AFF` compare equal.
    static func normalizedSerial(_ hex: String) -> String {
        let digits = hex.replacingOccurrences(of: ":", with: "").uppercased()
        let trimmed = digits.drop(while: { $0 == "0" })
        return trimmed.isEmpty ? "0" : String(trimmed)
    }
}
