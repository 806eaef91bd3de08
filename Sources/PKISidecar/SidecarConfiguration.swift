import Foundation
import PKIAPI
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
        httpBindAddress: String = "0.0.0.0"
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
    }

    public static func fromEnvironment(_ environment: PKIEnvironment = PKIEnvironment()) throws(PKIEnvironment.InvalidValue) -> Self {
        let hostname = environment.string("HOSTNAME") ?? ProcessInfo.processInfo.hostName
        guard !hostname.isEmpty, !hostname.contains("/"), hostname != ".", hostname != ".." else {
            throw .init(variable: "HOSTNAME", value: hostname, expected: "a host name usable as a file name")
        }
        var names = (environment.list("INTERNAL_DNS") + environment.list("EXTERNAL_SERVER_HOSTNAME")).map(SubjectAlternativeName.dns)
        for address in environment.list("EXTERNAL_SERVER_IP") {
            guard isIPAddress(address) else {
                throw .init(variable: "EXTERNAL_SERVER_IP", value: address, expected: "an IPv4 or IPv6 address")
            }
            names.append(.ip(address))
        }
        for name in names {
            if case .dns(let text) = name, text.contains(where: { $0 == " " || !$0.isASCII }) {
                throw .init(variable: "INTERNAL_DNS/EXTERNAL_SERVER_HOSTNAME", value: text, expected: "DNS names")
            }
        }
        return Self(
            pkiURL: try resolvePKIURL(environment),
            certificateDirectory: environment.string("CERT_DIR", default: "/certs"),
            hostname: hostname,
            subjectAlternativeNames: names,
            keyType: try environment.choice("PKI_KEY_TYPE", default: KeyType.rsa2048),
            renewBefore: .seconds(try environment.integer("CHECKEND_EXPIRATION_SEC", default: 43200, range: 0...31_536_000)),
            crlRefreshInterval: .seconds(try environment.integer("CRL_UPDATE_INTERVAL_SEC", default: 7200, range: 1...31_536_000)),
            waitTimeout: .seconds(try environment.integer("PKI_WAIT_TIMEOUT_SEC", default: 180, range: 1...86_400)),
            retryMaximum: .seconds(try environment.integer("PKI_RETRY_MAX_SEC", default: 300, range: 1...86_400)),
            httpPort: try environment.integer("PKI_HTTP_PORT", default: 9001, range: 0...65535),
            httpBindAddress: environment.string("PKI_HTTP_BIND", default: "0.0.0.0")
        )
    }

    /// `PKI_URL`, else the original's `EJBCA_ADDRESS` (`host:port`), else the default.
    public static func resolvePKIURL(_ environment: PKIEnvironment) throws(PKIEnvironment.InvalidValue) -> String {
        if let url = environment.string("PKI_URL") {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw .init(variable: "PKI_URL", value: url, expected: "an http:// or https:// URL")
            }
            return url
        }
        if let address = environment.string("EJBCA_ADDRESS") {
            guard !address.contains("/"), !address.isEmpty else {
                throw .init(variable: "EJBCA_ADDRESS", value: address, expected: "host:port")
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

    public var summary: String {
        "pki=\(pkiURL) certDir=\(certificateDirectory) hostname=\(hostname) sans=\(subjectAlternativeNames.map(\.description).joined(separator: ",")) "
            + "keyType=\(keyType.rawValue) renewBefore=\(renewBefore) crlRefresh=\(crlRefreshInterval) wait=\(waitTimeout) httpPort=\(httpPort)"
    }
}
