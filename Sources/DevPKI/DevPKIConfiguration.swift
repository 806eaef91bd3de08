import Foundation
import PKIAPI
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

    public static func fromEnvironment(_ environment: PKIEnvironment = PKIEnvironment()) throws(PKIEnvironment.InvalidValue) -> Self {
        let tenant = environment.string("DEV_PKI_DEFAULT_TENANT", default: "admin")
        guard DevicePolicy.isValidTenant(tenant) else {
            throw .init(variable: "DEV_PKI_DEFAULT_TENANT", value: tenant, expected: "a tenant name without ':' or '/'")
        }
        return Self(
            port: try environment.integer("DEV_PKI_PORT", default: 3000, range: 0...65535),
            bindAddress: environment.string("DEV_PKI_BIND", default: "0.0.0.0"),
            dataDirectory: environment.string("DEV_PKI_DATA_DIR", default: "./data/dev-pki"),
            defaultTenant: tenant,
            crlDays: try environment.integer("DEV_PKI_CRL_DAYS", default: 7, range: 1...3650),
            certificateDays: try environment.integer("DEV_PKI_CERT_DAYS", default: 365, range: 1...36500),
            caKeyType: try environment.choice("DEV_PKI_CA_KEY_TYPE", default: KeyType.rsa2048)
        )
    }

    /// For the start-up log line.
    public var summary: String {
        "bind=\(bindAddress):\(port) dataDir=\(dataDirectory) defaultTenant=\(defaultTenant) crlDays=\(crlDays) certDays=\(certificateDays) caKeyType=\(caKeyType.rawValue)"
    }
}
