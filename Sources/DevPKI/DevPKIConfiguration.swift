import Foundation
import MQTTCore
import ServiceRuntime
import X509

/// dev-pki's settings, read once from the environment at start-up.
public struct DevPKIConfiguration: Sendable {
    public var port: Int
    public var bindAddress: String
    public var dataDirectory: String
    public var defaultTenant: String
    /// CRL validity; the CRL is re-signed once half of it has passed.
    public var crlDays: Int
    public var certificateDays: Int
    /// The CA's own key, used only when the CA is first created.
    public var caKeyType: KeyType
    /// The throw-away endpoint's and revocation's secret; nil: made at first start (`AccessToken`).
    public var token: String?
    public var throwAway: ThrowAwayPolicy

    public init(
        port: Int = 3000,
        bindAddress: String = "0.0.0.0",
        dataDirectory: String = "./data/dev-pki",
        defaultTenant: String = "admin",
        crlDays: Int = 7,
        certificateDays: Int = 365,
        caKeyType: KeyType = .rsa2048,
        token: String? = nil,
        throwAway: ThrowAwayPolicy = ThrowAwayPolicy()
    ) {
        self.port = port
        self.bindAddress = bindAddress
        self.dataDirectory = dataDirectory
        self.defaultTenant = defaultTenant
        self.crlDays = crlDays
        self.certificateDays = certificateDays
        self.caKeyType = caKeyType
        self.token = token
        self.throwAway = throwAway
    }

    /// `DEV_PKI_PORT`, `DEV_PKI_BIND`, `DEV_PKI_DATA_DIR`, `DEV_PKI_DEFAULT_TENANT`,
    /// `DEV_PKI_CRL_DAYS`, `DEV_PKI_CERT_DAYS`, `DEV_PKI_CA_KEY_TYPE`, `DEV_PKI_TOKEN`,
    /// `DEV_PKI_SERVER_NAMES`, `DEV_PKI_SERVICE_NAMES`.
    public init(from environment: inout EnvironmentReader) throws(ConfigurationError) {
        let defaults = Self()
        let tenant = environment.string("DEV_PKI_DEFAULT_TENANT", default: defaults.defaultTenant)
        guard DojotNames.isValidTenant(tenant) else {
            throw .invalidValue("DEV_PKI_DEFAULT_TENANT", value: tenant, expected: "a tenant name of letters, digits, '-' or '_'")
        }
        let token = environment.optionalString("DEV_PKI_TOKEN").flatMap { $0.isEmpty ? nil : $0 }
        if let token, token.count < 16 || token.contains(where: \.isWhitespace) {
            throw .invalidValue("DEV_PKI_TOKEN", value: "(hidden)", expected: "at least 16 characters, no blanks")
        }
        let throwAway = ThrowAwayPolicy(
            serverNames: try Self.patterns(&environment, "DEV_PKI_SERVER_NAMES", default: defaults.throwAway.serverNames),
            serviceNames: try Self.patterns(&environment, "DEV_PKI_SERVICE_NAMES", default: defaults.throwAway.serviceNames))
        self.init(
            port: try environment.port("DEV_PKI_PORT", default: defaults.port),
            bindAddress: try environment.requiredOrDefault("DEV_PKI_BIND", default: defaults.bindAddress),
            dataDirectory: try environment.filePath("DEV_PKI_DATA_DIR", default: defaults.dataDirectory),
            defaultTenant: tenant,
            crlDays: try environment.int("DEV_PKI_CRL_DAYS", default: defaults.crlDays, in: 1...3650),
            certificateDays: try environment.int("DEV_PKI_CERT_DAYS", default: defaults.certificateDays, in: 1...36500),
            caKeyType: try environment.enumeration("DEV_PKI_CA_KEY_TYPE", default: defaults.caKeyType),
            token: token,
            throwAway: throwAway
        )
    }

    private static func patterns(
        _ environment: inout EnvironmentReader, _ name: String, default fallback: [ThrowAwayPolicy.NamePattern]
    ) throws(ConfigurationError) -> [ThrowAwayPolicy.NamePattern] {
        let texts = environment.list(name, default: fallback.map(\.text))
        for text in texts where text == "*" || text.contains(":") || text.dropLast(text.hasSuffix("*") ? 1 : 0).contains("*") {
            throw .invalidValue(name, value: text, expected: "names or name prefixes ending in '*', without ':'")
        }
        return texts.map(ThrowAwayPolicy.NamePattern.init)
    }
}

extension EnvironmentReader {
    /// A string that may be unset (default) but not set to blanks.
    mutating func requiredOrDefault(_ name: String, default fallback: String) throws(ConfigurationError) -> String {
        let value = string(name, default: fallback)
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .invalidValue(name, value: value, expected: "a non-empty value")
        }
        return value
    }
}
