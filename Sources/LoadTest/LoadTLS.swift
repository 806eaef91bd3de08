import MQTTCore
import NIOSSL

/// TLS settings for simulated devices: trust the broker's CA, present a device certificate.
public enum LoadTLS {
    public static func configuration(caFile: String, certFile: String?, keyFile: String?) throws -> TLSConfiguration {
        try MQTTClientTLS.configuration(caFile: caFile, certificateFile: certFile, keyFile: keyFile)
    }
}
