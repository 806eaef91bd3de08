import Foundation
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

    public init(
        port: Int = 3000,
        bindAddress: String = "0.0.0.0",
        dataDirectory: String = "./data/dev-pki",
        defaultTenant: String = "admin",
        crlDays: Int = 7,
        certificateDays: Int = 365,
        caKeyType: KeyType = .rsa2048
    ) {
        self.port = port
        self.bindAddress = bindAddress
        self.dataDirectory = dataDirectory
        self.defaultTenant = defaultTenant
        self.crlDays = crlDays
        self.certificateDays = certificateDays
        self.caKeyType = caKeyType
    }

    /// `DEV_PKI_PORT`, `DEV_PKI_BIND`, `DEV_PKI_DATA_DIR`, `DEV_PKI_DEFAULT_TENANT`,
    /// `DEV_PKI_CRL_DAYS`, `DEV_PKI_CERT_DAYS`, `DEV_PKI_CA_KEY_TYPE`.
    public init(from environment: inout EnvironmentReader) throws(ConfigurationError) {
        let defaults = Self()
        let tenant = environment.string("DEV_PKI_DEFAULT_TENANT", default: defaults.defaultTenant)
        guard DevicePolicy.isValidTenant(tenant) else {
            throw .invalidValue("DEV_PKI_DEFAULT_TENANT", value: tenant, expected: "a tenant name without ':', '/' or blanks")
        }
        self.init(
            port: try environment.port("DEV_PKI_PORT", default: defaults.port),
            bindAddress: try environment.requiredOrDefault("DEV_PKI_BIND", default: defaults.bindAddress),
            dataDirectory: try environment.filePath("DEV_PKI_DATA_DIR", default: defaults.dataDirectory),
            defaultTenant: tenant,
            crlDays: try environment.int("DEV_PKI_CRL_DAYS", default: defaults.crlDays, in: 1...3650),
            certificateDays: try environment.int("DEV_PKI_CERT_DAYS", default: defaults.certificateDays, in: 1...36500),
            caKeyType: try environment.enumeration("DEV_PKI_CA_KEY_TYPE", default: defaults.caKeyType)
        )
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
