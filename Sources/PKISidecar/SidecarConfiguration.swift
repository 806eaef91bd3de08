import Foundation
import ServiceRuntime
import X509

/// pki-sidecar's settings (SPEC section 6), read once at start-up.
public struct SidecarConfiguration: Sendable {
    public var pkiURL: String
    public var certificateDirectory: String
    /// CN and file base name.
    public var hostname: String
    public var subjectAlternativeNames: [SubjectAlternativeName]
    public var keyType: KeyType
    /// Renew when the certificate expires within this.
    public var renewBefore: Duration
    public var crlRefreshInterval: Duration
    public var waitTimeout: Duration
    /// Cap of the retry backoff after a PKI failure.
    public var retryMaximum: Duration
    /// Health endpoint port; 0 turns it off.
    public var httpPort: Int
    public var httpBindAddress: String
    /// Sent as `Authorization: Bearer` (dev-pki's `DEV_PKI_TOKEN`); nil: no header.
    public var token: String?

    public init(
        pkiURL: String = "http://x509-identity-mgmt:3000",
        certificateDirectory: String = "/certs",
        hostname: String,
        subjectAlternativeNames: [SubjectAlternativeName] = [],
        keyType: KeyType = .rsa2048,
        renewBefore: Duration = .seconds(43200),
        crlRefreshInterval: Duration = .seconds(7200),
        waitTimeout: Duration = .seconds(180),
        retryMaximum: Duration = .seconds(300),
        httpPort: Int = 0,
        httpBindAddress: String = "0.0.0.0",
        token: String? = nil
    ) {
        self.pkiURL = pkiURL
        self.certificateDirectory = certificateDirectory
        self.hostname = hostname
        self.subjectAlternativeNames = subjectAlternativeNames
        self.keyType = keyType
        self.renewBefore = renewBefore
        self.crlRefreshInterval = crlRefreshInterval
        self.waitTimeout = waitTimeout
        self.retryMaximum = retryMaximum
        self.httpPort = httpPort
        self.httpBindAddress = httpBindAddress
        self.token = token
    }

    /// The variables of SPEC section 6, plus `PKI_RETRY_MAX_SEC`, `PKI_HTTP_BIND` and
    /// `PKI_TOKEN` / `PKI_TOKEN_FILE`.
    public init(from environment: inout EnvironmentReader) throws(ConfigurationError) {
        let hostname = environment.optionalString("HOSTNAME").flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.hostName
        guard !hostname.isEmpty, !hostname.contains("/"), hostname != ".", hostname != ".." else {
            throw .invalidValue("HOSTNAME", value: hostname, expected: "a host name usable as a file name")
        }
        var names: [SubjectAlternativeName] = []
        for variable in ["INTERNAL_DNS", "EXTERNAL_SERVER_HOSTNAME"] {
            for name in environment.list(variable, default: []) {
                guard name.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                    throw .invalidValue(variable, value: name, expected: "DNS names")
                }
                names.append(.dns(name))
            }
        }
        for address in environment.list("EXTERNAL_SERVER_IP", default: []) {
            guard Self.isIPAddress(address) else {
                throw .invalidValue("EXTERNAL_SERVER_IP", value: address, expected: "an IPv4 or IPv6 address")
            }
            names.append(.ip(address))
        }
        let defaults = Self(hostname: hostname)
        self.init(
            pkiURL: try Self.resolvePKIURL(&environment),
            certificateDirectory: try environment.filePath("CERT_DIR", default: defaults.certificateDirectory),
            hostname: hostname,
            subjectAlternativeNames: names,
            keyType: try environment.enumeration("PKI_KEY_TYPE", default: defaults.keyType),
            renewBefore: try environment.duration("CHECKEND_EXPIRATION_SEC", default: defaults.renewBefore, unit: .seconds),
            crlRefreshInterval: try environment.positiveSeconds("CRL_UPDATE_INTERVAL_SEC", default: defaults.crlRefreshInterval),
            waitTimeout: try environment.positiveSeconds("PKI_WAIT_TIMEOUT_SEC", default: defaults.waitTimeout),
            retryMaximum: try environment.positiveSeconds("PKI_RETRY_MAX_SEC", default: defaults.retryMaximum),
            httpPort: try environment.port("PKI_HTTP_PORT", default: 9001),
            httpBindAddress: environment.string("PKI_HTTP_BIND", default: defaults.httpBindAddress),
            token: try Self.resolveToken(&environment)
        )
    }

    /// `PKI_TOKEN`, else the first line of `PKI_TOKEN_FILE` (e.g. dev-pki's data volume).
    public static func resolveToken(_ environment: inout EnvironmentReader) throws(ConfigurationError) -> String? {
        if let token = environment.optionalString("PKI_TOKEN"), !token.isEmpty { return token }
        guard let path = environment.optionalString("PKI_TOKEN_FILE"), !path.isEmpty else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let token = text.split(whereSeparator: \.isNewline).first.map(String.init), !token.isEmpty
        else { throw .invalidValue("PKI_TOKEN_FILE", value: path, expected: "a readable file holding the token") }
        return token
    }

    /// `PKI_URL`, else the original's `EJBCA_ADDRESS` (`host:port`), else the default.
    public static func resolvePKIURL(_ environment: inout EnvironmentReader) throws(ConfigurationError) -> String {
        if let url = environment.optionalString("PKI_URL"), !url.isEmpty {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw .invalidValue("PKI_URL", value: url, expected: "an http:// or https:// URL")
            }
            return url
        }
        if let address = environment.optionalString("EJBCA_ADDRESS"), !address.isEmpty {
            guard !address.contains("/") else {
                throw .invalidValue("EJBCA_ADDRESS", value: address, expected: "host:port")
            }
            return "http://\(address)"
        }
        return "http://x509-identity-mgmt:3000"
    }

    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}

extension EnvironmentReader {
    /// A whole number of seconds, at least 1.
    mutating func positiveSeconds(_ name: String, default fallback: Duration) throws(ConfigurationError) -> Duration {
        let value = try duration(name, default: fallback, unit: .seconds)
        guard value > .zero else { throw .invalidValue(name, value: "0", expected: "a duration of at least 1 second") }
        return value
    }
}
