import NIOSSL

/// TLS for a client connection. The `NIOSSLContext` is built once and may be shared by many
/// clients (a load test with thousands of devices should not load the trust store per device).
public struct MQTTClientTLS: Sendable {
    public var context: NIOSSLContext
    /// The name sent in SNI and checked against the broker's certificate; the host when nil.
    public var serverHostname: String?

    public init(context: NIOSSLContext, serverHostname: String? = nil) {
        self.context = context
        self.serverHostname = serverHostname
    }

    public init(configuration: TLSConfiguration, serverHostname: String? = nil) throws {
        self.init(context: try NIOSSLContext(configuration: configuration), serverHostname: serverHostname)
    }

    /// TLS that trusts `caFile` (the system roots when nil) and, for mutual TLS, presents the
    /// certificate chain in `certificateFile` with the key in `keyFile` (PEM files).
    /// - Parameter verifyServer: false accepts any broker certificate (development only);
    ///   `verifyHostname` false checks the chain but not the name.
    public static func files(
        caFile: String?,
        certificateFile: String? = nil,
        keyFile: String? = nil,
        verifyServer: Bool = true,
        verifyHostname: Bool = true,
        serverHostname: String? = nil
    ) throws -> MQTTClientTLS {
        let configuration = try self.configuration(
            caFile: caFile, certificateFile: certificateFile, keyFile: keyFile,
            verifyServer: verifyServer, verifyHostname: verifyHostname
        )
        return try MQTTClientTLS(configuration: configuration, serverHostname: serverHostname)
    }

    /// The TLS configuration `files` uses, for callers that build their own contexts. Keys are
    /// read as PEM whatever the file is called (`private.key`, `<host>.key`).
    public static func configuration(
        caFile: String?,
        certificateFile: String? = nil,
        keyFile: String? = nil,
        verifyServer: Bool = true,
        verifyHostname: Bool = true
    ) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile { configuration.trustRoots = .file(caFile) }
        if let certificateFile, let keyFile {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
        }
        configuration.certificateVerification =
            !verifyServer ? .none : verifyHostname ? .fullVerification : .noHostnameVerification
        return configuration
    }
}
