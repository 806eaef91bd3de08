import CLibCrypto
import Foundation

/// A subjectAltName entry of the kinds this platform uses.
public enum SubjectAlternativeName: Sendable, Hashable, CustomStringConvertible {
    case dns(String)
    /// An IPv4 or IPv6 address in text form.
    case ip(String)

    public var description: String {
        switch self {
        case .dns(let name): "DNS:\(name)"
        case .ip(let address): "IP:\(address)"
        }
    }
}

extension SubjectAlternativeName {
    /// A new GENERAL_NAMES stack holding `names`; the caller frees it with GENERAL_NAMES_free.
    static func makeGeneralNames(_ names: [SubjectAlternativeName]) throws -> OpaquePointer {
        guard let stack = GENERAL_NAMES_new() else { throw X509Error.openSSL("allocate subjectAltName") }
        do {
            for name in names {
                let entry = try name.makeGeneralName()
                guard clibcrypto_sk_GENERAL_NAME_push(stack, entry) > 0 else {
                    GENERAL_NAME_free(entry)
                    throw X509Error.openSSL("add \(name)")
                }
            }
            return stack
        } catch {
            GENERAL_NAMES_free(stack)
            throw error
        }
    }

    private func makeGeneralName() throws -> UnsafeMutablePointer<GENERAL_NAME> {
        switch self {
        case .dns(let name):
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw X509Error.invalidInput("add \(self)", "a DNS name must be non-empty printable ASCII")
            }
            guard let value = ASN1_IA5STRING_new() else { throw X509Error.openSSL("allocate \(self)") }
            guard ASN1_STRING_set(value, name, Int32(name.utf8.count)) == 1, let entry = GENERAL_NAME_new() else {
                ASN1_IA5STRING_free(value)
                throw X509Error.openSSL("encode \(self)")
            }
            GENERAL_NAME_set0_value(entry, GEN_DNS, UnsafeMutableRawPointer(value))
            return entry
        case .ip(let address):
            guard let value = a2i_IPADDRESS(address) else {
                throw X509Error.invalidInput("add \(self)", "not an IP address: \(address)")
            }
            guard let entry = GENERAL_NAME_new() else {
                ASN1_OCTET_STRING_free(value)
                throw X509Error.openSSL("allocate \(self)")
            }
            GENERAL_NAME_set0_value(entry, GEN_IPADD, UnsafeMutableRawPointer(value))
            return entry
        }
    }

    /// Reads the DNS and IP entries of a GENERAL_NAMES stack; other kinds are skipped.
    static func read(_ stack: OpaquePointer) -> [SubjectAlternativeName] {
        var names: [SubjectAlternativeName] = []
        for index in 0..<clibcrypto_sk_GENERAL_NAME_num(stack) {
            guard let entry = clibcrypto_sk_GENERAL_NAME_value(stack, index) else { continue }
            var type: Int32 = 0
            guard let value = GENERAL_NAME_get0_value(entry, &type) else { continue }
            let string = value.assumingMemoryBound(to: ASN1_STRING.self)
            switch type {
            case GEN_DNS:
                if let text = ASN1.string(string) { names.append(.dns(text)) }
            case GEN_IPADD:
                if let text = ipText(string) { names.append(.ip(text)) }
            default:
                continue
            }
        }
        return names
    }

    private static func ipText(_ octets: UnsafePointer<ASN1_STRING>) -> String? {
        let length = Int(ASN1_STRING_length(octets))
        guard let data = ASN1_STRING_get0_data(octets), length == 4 || length == 16 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = length == 4 ? AF_INET : AF_INET6
        guard inet_ntop(family, data, &text, socklen_t(text.count)) != nil else { return nil }
        return String(cString: text)
    }
}
