import Broker
import DevPKI
import Foundation
import HTTPClient
import Logging
import MQTTAuthorization
import MQTTCore
import NIOPosix
import PKISidecar
import TestSupport
import Testing

/// The PKI and the broker together, as `make run` puts them: dev-pki issues, pki-sidecar writes
/// the broker's files and refreshes the CRL, the broker serves mutual TLS with them; a device
/// certificate from the device helper connects with mosquitto_pub, and revoking it in dev-pki
/// disconnects the device and keeps it out.
@Suite struct BrokerWithPKITests {
    @Test func revocationInThePKIReachesTheBrokerThroughTheSidecar() async throws {
        let (pkiDirectory, certificates, devices) = (
            try TemporaryDirectory.make(prefix: "pkitests"), try TemporaryDirectory.make(prefix: "pkitests"), try TemporaryDirectory.make(prefix: "pkitests")
        )
        defer { [pkiDirectory, certificates, devices].forEach { try? FileManager.default.removeItem(at: $0) } }
        let pki = try await RunningDevPKI.start(directory: pkiDirectory)
        let sidecar = PKISidecar(configuration: sidecarConfiguration(pkiURL: pki.url, directory: certificates), logger: testLogger)
        try await sidecar.bootstrap()
        let maintaining = Task { await sidecar.maintain() }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let file = { (name: String) in certificates.appendingPathComponent(name).path }
        var configuration = BrokerConfiguration(tls: .init(ca: file("ca.crt"), certificate: file("broker.crt"), key: file("broker.key"), crl: file("ca.crl")))
        configuration.bindHost = "127.0.0.1"
        configuration.mqttPort = nil
        configuration.mqttsPort = 0
        configuration.tlsReloadIntervalMilliseconds = 100
        let broker = try BrokerServer(configuration: configuration, authorizer: DojotAuthorizer(), group: group, logger: testLogger)
        let port = try await broker.start().mqtts!

        let fingerprints = try await DeviceEnrollment(
            client: PKIClient(baseURL: pki.url), outputDirectory: devices.path, tenant: "admin", keyType: .ec256, logger: testLogger
        ).enrol(ids: ["a1998e"])
        let device = { (name: String) in devices.appendingPathComponent(name).path }
        let publish = {
            try await MosquittoPublish.run([
                "-h", "127.0.0.1", "-p", "\(port)", "--cafile", device("ca/ca.pem"), "--cert", device("cert_a1998e/cert.pem"),
                "--key", device("cert_a1998e/private.key"), "-t", "admin:a1998e/attrs", "-q", "1", "-m", "{\"temperature\":21}",
            ])
        }
        #expect(try await publish() == 0)

        var clientConfiguration = MQTTClientConfiguration(host: "127.0.0.1", port: port, clientID: "a1998e", eventLoopGroup: group)
        clientConfiguration.tls = try .files(caFile: device("ca/ca.pem"), certificateFile: device("cert_a1998e/cert.pem"), keyFile: device("cert_a1998e/private.key"))
        clientConfiguration.reconnect = .disabled
        let client = MQTTClient(configuration: clientConfiguration, logger: testLogger)
        try await client.connect()

        let revoked = try await HTTPClient().delete("\(pki.url)/api/v1/certificates/\(try #require(fingerprints["a1998e"]))", headers: testPKIAuthorization)
        #expect(revoked.isSuccess)
        // The sidecar fetches the new CRL, the broker loads it and closes the device's connection.
        #expect(try await eventually("the client to be disconnected", timeout: .seconds(10), every: .milliseconds(100)) { !client.isConnected ? true : nil })
        #expect(try await publish() != 0)

        await client.shutdown()
        await broker.stop()
        try await group.shutdownGracefully()
        maintaining.cancel()
        _ = await maintaining.result
        await pki.stop()
    }
}

enum MosquittoPublish {
    /// mosquitto_pub's exit status (bounded: it gives up on a refused handshake at once).
    static func run(_ arguments: [String]) async throws -> Int32 {
        try await ProcessRunner.run("/usr/bin/mosquitto_pub", arguments, timeout: .seconds(15)).status
    }
}
