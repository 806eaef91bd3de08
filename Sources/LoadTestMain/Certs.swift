import ArgumentParser
import LoadTest

/// `loadtest certs`: a throw-away CA, broker certificate and device certificates.
struct Certs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Makes a throw-away CA, a broker certificate (server/) and device certificates in the pki-sidecar device layout."
    )

    @Option(help: "Output directory") var out: String
    @Option(help: "Tenant (the CN of each device is <tenant>:<prefix><n>)") var tenant = "admin"
    @Option(help: "Device id prefix") var devicePrefix = "lt"
    @Option(help: "Number of devices") var devices = 10
    @Flag(help: "Also write the CA's key (ca/ca.key), e.g. to sign a CRL for a benchmark") var writeCaKey = false

    func run() async throws {
        try LocalCertificates.make(directory: out, tenant: tenant, ids: (0..<devices).map { "\(devicePrefix)\($0)" }, writeCAKey: writeCaKey)
        print("wrote \(out)/ca/ca.pem, \(out)/server/{cert.pem,private.key} and \(devices) device certificates")
    }
}
