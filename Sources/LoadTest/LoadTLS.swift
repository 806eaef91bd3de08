import NIOSSL

/// TLS settings for simulated devices: trust the broker's CA, present a device certificate.
public enum LoadTLS {
    public static func configuration(caFile: String, certFile: String?, keyFile: String?) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(caFile)
        if let certFile, let keyFile {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certFile).map { .certificate($0) }
            configuration.privateKey = .file(keyFile)
        }
        return configuration
    }
}
